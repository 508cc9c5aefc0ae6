/** Errors of the Kubernetes target: rendering cutover.yml for a cluster and driving the cluster. */
export const KUBERNETES_ERRORS = {
  CUT_ERR_KUBE_NOT_CONFIGURED: { exitCode: 2, title: 'A Kubernetes command was run but cutover.yml has no kubernetes: section.' },
  CUT_ERR_KUBE_UNSUPPORTED: {
    exitCode: 2,
    title: 'A key of cutover.yml works on one host but cannot be expressed on the cluster (the error names the key).',
  },
  CUT_ERR_KUBE_KUBECONFIG: { exitCode: 2, title: 'No usable kubeconfig, or the context asked for is not in it.' },
  CUT_ERR_KUBE_API: { exitCode: 3, title: 'The Kubernetes API server cannot be reached or refused a request.' },
  CUT_ERR_KUBE_ROLLOUT_FAILED: {
    exitCode: 1,
    title: 'The rollout on the cluster failed (progress deadline, a degraded Rollout) and was undone to the previous revision.',
  },
  CUT_ERR_KUBE_ROLLOUT_ABORTED: { exitCode: 1, title: 'The Argo Rollout was aborted (by its analysis or by cutover abort).' },
  CUT_ERR_KUBE_NO_REVISION: { exitCode: 5, title: 'The revision to roll back to is not recorded on the cluster.' },
  CUT_ERR_KUBE_NOT_PAUSED: {
    exitCode: 1,
    title: 'promote or abort was asked for, but the workload on the cluster is not a Rollout in progress.',
  },
  CUT_ERR_KUBE_HELM_DIR: { exitCode: 2, title: '`cutover k8s render --helm DIR` cannot write its chart into DIR.' },
} as const;
