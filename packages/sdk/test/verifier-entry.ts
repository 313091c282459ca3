// Loaded into Chromium by verifier.test.ts: the Verifier as a bundler builds it, with its worker, and the
// protocol's rsaVerify to compare its answers with.
import { rsaVerify } from '@parley/protocol';
import { Verifier } from '../src/verifier.ts';

Object.assign(globalThis, { Verifier, rsaVerify });
