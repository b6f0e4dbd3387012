import { loadConfigFromProcess } from '@seed/config';
console.log(loadConfigFromProcess().version);
