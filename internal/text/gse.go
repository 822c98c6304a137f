//go:build gse

package text

import (
	"strings"
	"sync"

	"github.com/go-ego/gse"
)

// gseAvailable reports whether this build contains gse (build tag gse).
const gseAvailable = true

// gseVersion names the gse release, whose dictionary changes with it.
// gse.Version reads "v0.80.2.705, Green Lake!".
func gseVersion() string {
	v, _, _ := strings.Cut(gse.Version, ",")
	return v
}

// gseSegment returns the end offsets of gse's segments of a run of Chinese
// characters, or false when the segmenter is unavailable or its segments
// do not tile the run.
func gseSegment(run string) ([]int, bool) {
	seg := zhSegmenter()
	if seg == nil {
		return nil, false
	}
	return gseCuts(seg, run)
}

// gseCuts returns the end offsets of gse's segments of run, or false when
// they do not tile it exactly. A panic in the segmenter is reported as
// false as well.
func gseCuts(seg *gse.Segmenter, run string) (cuts []int, ok bool) {
	defer func() {
		if recover() != nil {
			cuts, ok = nil, false
		}
	}()
	segs := seg.Segment([]byte(run))
	pos := 0
	cuts = make([]int, 0, len(segs))
	for _, sg := range segs {
		if sg.Start() != pos || sg.End() <= pos || sg.End() > len(run) {
			return nil, false
		}
		pos = sg.End()
		cuts = append(cuts, pos)
	}
	return cuts, pos == len(run)
}

var (
	zhOnce sync.Once
	zhSeg  *gse.Segmenter
)

// zhSegmenter returns the process-wide gse segmenter with the embedded
// simplified-Chinese dictionary, loading it on first use; nil when loading
// failed. Segmenting only reads the dictionary, so the segmenter is shared
// by all goroutines.
func zhSegmenter() *gse.Segmenter {
	zhOnce.Do(func() {
		defer func() {
			if recover() != nil {
				zhSeg = nil
			}
		}()
		seg := &gse.Segmenter{SkipLog: true, NotLoadHMM: true}
		if err := seg.LoadDictEmbed("zh_s"); err != nil {
			return
		}
		zhSeg = seg
	})
	return zhSeg
}
