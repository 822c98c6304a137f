# syntax=docker.io/docker/dockerfile:1.7
# ragline container image: a static, CGO-free binary on distroless (no shell,
# no package manager), running as UID 65532 with a read-only root filesystem.
# The knowledge base is a separate OCI image copied or mounted into the pod
# (see deploy/kubernetes).
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse HEAD) -t ragline .
#
# Without a Docker engine, `make image` builds the same image as an OCI
# layout with go-containerregistry (deploy/imagebuild).
#
# Base images are named in full and listed in deploy/pins.yaml with their
# digests; `make pin` rewrites them here as REF@DIGEST.

FROM docker.io/library/golang:1.26.8-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
ARG COMMIT=unknown
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath \
      -ldflags "-s -w -X github.com/ragline/ragline/internal/cli.Version=${VERSION} -X github.com/ragline/ragline/internal/cli.Commit=${COMMIT}" \
      -o /out/ragline ./cmd/ragline

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG COMMIT=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="ragline" \
      org.opencontainers.image.description="Retrieval-augmented question answering you can test, ship and roll back" \
      org.opencontainers.image.source="https://github.com/ragline/ragline" \
      org.opencontainers.image.url="https://github.com/ragline/ragline" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=build /out/ragline /usr/local/bin/ragline
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ragline"]
CMD ["serve", "--config", "/etc/ragline/ragline.yaml", "--data", "/data/kb.ragline", "--read-only"]
