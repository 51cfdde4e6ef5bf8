#!/usr/bin/env node
// Writes public/og-image.png, the page's link preview (1200 x 630): the favicon's figure over a
// blurred-background motif and the title. Drawn from shapes, no photo. Run: node scripts/og-image.mjs
import sharp from 'sharp';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(new URL('../public/og-image.png', import.meta.url));
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630" viewBox="0 0 1200 630">
  <defs><filter id="soft"><feGaussianBlur stdDeviation="28"/></filter></defs>
  <rect width="1200" height="630" fill="#11161c"/>
  <g filter="url(#soft)" opacity="0.85">
    <circle cx="180" cy="160" r="120" fill="#2f6f4f"/><circle cx="420" cy="470" r="150" fill="#1d4e6f"/><circle cx="330" cy="250" r="90" fill="#6f5a2f"/>
  </g>
  <circle cx="310" cy="250" r="92" fill="#eef2f5"/>
  <path d="M140 630c14-150 90-215 170-215s156 65 170 215z" fill="#eef2f5"/>
  <text x="560" y="270" font-family="DejaVu Sans, sans-serif" font-size="92" font-weight="700" fill="#eef2f5">SINet.js</text>
  <text x="560" y="350" font-family="DejaVu Sans, sans-serif" font-size="38" fill="#b8c4cf">Portrait segmentation</text>
  <text x="560" y="400" font-family="DejaVu Sans, sans-serif" font-size="38" fill="#b8c4cf">on your device, in the browser</text>
  <text x="560" y="480" font-family="DejaVu Sans, sans-serif" font-size="28" fill="#7fa392">Nothing is uploaded</text>
</svg>`;
await sharp(Buffer.from(svg)).png({ compressionLevel: 9 }).toFile(out);
console.log(`og-image: ${out}`);
