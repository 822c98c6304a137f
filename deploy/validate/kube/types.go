package kube

import corev1 "k8s.io/api/core/v1"

// Service is a core/v1 Service.
type Service = corev1.Service
