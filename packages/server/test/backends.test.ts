// The contract suites on every backend: SQLite and the local bus always, PostgreSQL and Redis when
// TEST_DATABASE_URL / TEST_REDIS_URL are set (.ci/run sets them); with both, two real server processes too.
import { TEST_DATABASE_URL, TEST_REDIS_URL, busBackends, storeBackends } from './contract/backends.ts';
import { busContract } from './contract/bus.contract.ts';
import { storeContract } from './contract/store.contract.ts';
import { multiProcessSuite } from './multiprocess.ts';

for (const backend of storeBackends) storeContract(backend, { multiProcess: backend.name !== 'sqlite' });
for (const backend of busBackends) busContract(backend, { multiProcess: backend.name !== 'local' });
if (TEST_DATABASE_URL && TEST_REDIS_URL) multiProcessSuite(TEST_DATABASE_URL, TEST_REDIS_URL);
