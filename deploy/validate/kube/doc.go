// Package kube checks ragline's Kubernetes delivery manifests with the Go
// code that Kubernetes, Kustomize and Argo Rollouts run: every overlay under
// deploy/kubernetes is rendered in-process by krusty and each object is
// strictly decoded and validated by the k8s.io/kubernetes validators; the
// Rollout and AnalysisTemplates in deploy/rollouts go through Argo Rollouts'
// own validation, and their Prometheus queries are run by Argo's Prometheus
// provider against a scripted Prometheus HTTP API. Cross-checks tie the
// manifests to the binary: every metric name is scraped from a real
// `ragline serve`, and every overlay's ragline.yaml passes
// `ragline config validate`.
//
// The package has only tests and their helpers; run them with
// `make validate-deploy` or `go test ./...` in this folder.
package kube
