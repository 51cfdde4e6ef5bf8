import { apiReport, packageDir } from '@sinet/test-utils';
import { expect, it } from 'vitest';

it('the public API is the reviewed api-report.md, and the root gives at most 30 names', async () => {
  const report = apiReport(packageDir('track-processor'));
  await expect(report.text).toMatchFileSnapshot('../api-report.md');
  expect(report.values['.']).toBeLessThanOrEqual(30);
});
