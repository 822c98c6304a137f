// Command imagebuild writes ragline's container image as an OCI image layout
// without a Docker engine: one layer holding the static binary, the CA
// certificate bundle and the zoneinfo database, and a config that runs the
// binary as UID 65532 with the OCI labels of the Dockerfile.
//
//	go run . --binary ../../bin/ragline --out ../../bin/oci --version v1.2.3 --commit abc
//
// It is a separate module so that go-containerregistry is never linked into
// the ragline binary.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
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
