// Command imagebuild writes ragline's container image as an OCI image layout
// without a Docker engine: one layer holding the static binary, the CA
// certificate bundle and the zoneinfo database, and a config that runs the
// binary as UID 65532 with the OCI labels of the Dockerfile.
//
//	go run . --binary ../../bin/ragline --out ../../bin/oci --version v1.2.3 --commit abc
//
// Two subcommands serve the release pipeline:
//
//	go run . kb --file kb.ragline --kb-digest sha256:... [--base IMAGE] (--push REPO:TAG | --out DIR)
//	go run . attach --subject REPO@sha256:... --file sbom.spdx.json --artifact-type application/spdx+json
//
// kb packages a knowledge-base snapshot as an OCI image (mounted by pods as
// an image volume, or pulled by an init container) and prints its manifest
// digest; attach pushes a file (the SBOM) as an OCI referrer of an image
// and prints the referrer's digest. `go run . pin [ROOT]` resolves the
// digests of deploy/pins.yaml and rewrites the references (make pin).
// Registry credentials come from $DOCKER_CONFIG/config.json.
//
// It is a separate module so that go-containerregistry is never linked into
// the ragline binary.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "kb":
			os.Exit(runKB(os.Args[2:]))
		case "attach":
			os.Exit(runAttach(os.Args[2:]))
		case "pin":
			os.Exit(runPin(os.Args[2:]))
		}
	}
	var o Options
	flag.StringVar(&o.Binary, "binary", "bin/ragline", "static ragline binary to package")
	flag.StringVar(&o.Out, "out", "bin/oci", "OCI image layout directory to write (replaced)")
	flag.StringVar(&o.Version, "version", "dev", "org.opencontainers.image.version label")
	flag.StringVar(&o.Commit, "commit", "unknown", "org.opencontainers.image.revision label")
	flag.StringVar(&o.Tag, "tag", "", "org.opencontainers.image.ref.name of the image in the layout (default ragline:VERSION)")
	flag.StringVar(&o.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "CA certificate bundle to include")
	flag.StringVar(&o.Zoneinfo, "zoneinfo", "/usr/share/zoneinfo", "zoneinfo directory to include")
	flag.StringVar(&o.Arch, "arch", "amd64", "architecture of the binary")
	created := flag.String("created", "", "creation time, RFC 3339 (default: SOURCE_DATE_EPOCH, else the Unix epoch, so builds are reproducible)")
	flag.Parse()

	t, err := creationTime(*created, os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(2)
	}
	o.Created = t
	digest, err := Build(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
	fmt.Printf("%s\n%s\n", o.Out, digest)
}

func runKB(args []string) int {
	fs := flag.NewFlagSet("kb", flag.ContinueOnError)
	file := fs.String("file", "kb.ragline", "knowledge-base snapshot (ragline index build --out)")
	kbDigest := fs.String("kb-digest", "", "its digest as `ragline index build` printed it (sha256:...)")
	base := fs.String("base", "", "base image with cp (e.g. busybox, pinned by digest) so that the image also runs as the copying init container; empty: no base")
	push := fs.String("push", "", "push to this repository:tag")
	out := fs.String("out", "", "or write an OCI image layout to this directory (replaced)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*push == "") == (*out == "") {
		fmt.Fprintln(os.Stderr, "imagebuild kb: give exactly one of --push and --out")
		return 2
	}
	created, err := creationTime("", os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild kb:", err)
		return 2
	}
	var baseImg v1.Image
	if *base != "" {
		if baseImg, err = pullImage(*base); err != nil {
			fmt.Fprintln(os.Stderr, "imagebuild kb:", err)
			return 1
		}
	}
	img, err := KBImage(baseImg, *file, *kbDigest, created)
	if err == nil {
		if *push != "" {
			err = pushImage(*push, img)
		} else {
			err = writeLayout(*out, img, "ragline-kb:"+*kbDigest)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild kb:", err)
		return 1
	}
	d, err := img.Digest()
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild kb:", err)
		return 1
	}
	fmt.Println(d)
	return 0
}

func runAttach(args []string) int {
	fs := flag.NewFlagSet("attach", flag.ContinueOnError)
	subject := fs.String("subject", "", "image the file refers to, REPOSITORY@sha256:...")
	file := fs.String("file", "", "file to attach (e.g. an SPDX SBOM)")
	artifactType := fs.String("artifact-type", "application/spdx+json", "media type of the file and artifactType of the referrer")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *subject == "" || *file == "" {
		fmt.Fprintln(os.Stderr, "imagebuild attach: --subject and --file are required")
		return 2
	}
	created, err := creationTime("", os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild attach:", err)
		return 2
	}
	d, err := Attach(*subject, *file, *artifactType, created)
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild attach:", err)
		return 1
	}
	fmt.Println(d)
	return 0
}

func creationTime(flagValue, epoch string) (time.Time, error) {
	switch {
	case flagValue != "":
		t, err := time.Parse(time.RFC3339, flagValue)
		if err != nil {
			return time.Time{}, fmt.Errorf("--created: %w", err)
		}
		return t.UTC(), nil
	case epoch != "":
		var sec int64
		if _, err := fmt.Sscan(epoch, &sec); err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", epoch, err)
		}
		return time.Unix(sec, 0).UTC(), nil
	default:
		return time.Unix(0, 0).UTC(), nil
	}
}
