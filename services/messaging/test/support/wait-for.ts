export { sleep, waitFor, within } from '@cutover/service-kit/testing';
