import { prepareDataset } from './bench-data.ts';
import { writeOptOutPartitions } from './prod-data.ts';
const ds = await prepareDataset('/tmp/wt16b-prodds', 2 ** 20);
writeOptOutPartitions(ds.dir, 10_000_000);
console.log(JSON.stringify(ds.configFile));
