// The contract suites on every backend: SQLite and the local bus always, PostgreSQL and Redis when
// TEST_DATABASE_URL / TEST_REDIS_URL are set (.ci/run sets them).
import { busBackends, storeBackends } from './contract/backends.ts';
import { busContract } from './contract/bus.contract.ts';
import { storeContract } from './contract/store.contract.ts';

for (const backend of storeBackends) storeContract(backend, { multiProcess: backend.name !== 'sqlite' });
for (const backend of busBackends) busContract(backend, { multiProcess: backend.name !== 'local' });
