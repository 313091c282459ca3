// Loaded into Chromium by verifier.test.ts: the Verifier as a bundler builds it, with its worker.
import { Verifier } from '../src/verifier.ts';

Object.assign(globalThis, { Verifier });
