#!/usr/bin/env python3
"""Writes fuzz/tiny-legacy.pth.bin: a torch.save(..., _use_new_zipfile_serialization=False) file
of three small tensors, made with the standard pickle module and stand-ins for torch's globals
(no torch needed). The seed of the .pth reader's fuzzing (src/official/fuzz.test.ts)."""
import collections, io, os, pickle, struct, sys, types

torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')
sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils
def _rebuild_tensor_v2(*args): raise RuntimeError('never called')
_rebuild_tensor_v2.__module__ = 'torch._utils'; utils._rebuild_tensor_v2 = _rebuild_tensor_v2
for name in ('FloatStorage', 'LongStorage', 'DoubleStorage'):
    cls = type(name, (), {}); cls.__module__ = 'torch'; setattr(torch, name, cls)

class Storage:
    def __init__(self, key, kind, fmt, values): self.key, self.kind, self.fmt, self.values = key, kind, fmt, values
class Tensor:
    def __init__(self, storage, size, stride): self.storage, self.size, self.stride = storage, size, stride
    def __reduce__(self): return (_rebuild_tensor_v2, (self.storage, 0, self.size, self.stride, False, collections.OrderedDict()))

class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return ('storage', obj.kind, obj.key, 'cpu', len(obj.values), None) if isinstance(obj, Storage) else None

w = Storage('0', torch.FloatStorage, '<f', [0, 1, 2, 3, 4, 5])
n = Storage('1', torch.LongStorage, '<q', [7])
v = Storage('2', torch.DoubleStorage, '<d', [1.0, 1.0])
state = collections.OrderedDict([('conv.weight', Tensor(w, (2, 3), (3, 1))), ('bn.num_batches_tracked', Tensor(n, (), ())), ('bn.running_var', Tensor(v, (2,), (1,)))])
out = io.BytesIO()
pickle.dump(0x1950a86a20f9469cfc6c, out, protocol=2)
pickle.dump(1001, out, protocol=2)
pickle.dump({'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, out, protocol=2)
Pickler(out, protocol=2).dump(state)
pickle.dump([s.key for s in (w, n, v)], out, protocol=2)
for s in (w, n, v):
    out.write(struct.pack('<q', len(s.values)))
    out.write(struct.pack('<%d%s' % (len(s.values), s.fmt[1]), *s.values))
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tiny-legacy.pth.bin'), 'wb').write(out.getvalue())
