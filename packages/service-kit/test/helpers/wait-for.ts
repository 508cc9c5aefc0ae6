export { sleep, waitFor, within } from '../../src/testing/wait-for.ts';
