/**
 * One long-running part of the controller process. The controller's main composes a list of them
 * (the deployment reconciler first) and starts them in order, stops them in reverse: this is the
 * seam where the task scheduler and the notifier plug in, each as a service of its own file, with
 * the shared `ControllerContext` (store, events, paths) handed to its factory.
 */
export interface ControllerService {
  readonly name: string;
  start(): Promise<void>;
  /** Stops taking new work. Deployments in flight stay recorded as running and resume on the next start. */
  stop(): Promise<void>;
}
