package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// pkgInit is one package's line of GODEBUG=inittrace=1 output.
type pkgInit struct {
	pkg           string
	clock         time.Duration
	bytes, allocs int64
}

// parseInitTrace reads the runtime's inittrace lines, for example
//
//	init github.com/aws/smithy-go @1.2 ms, 0.031 ms clock, 2048 bytes, 12 allocs
//
// and ignores everything else the process wrote.
func parseInitTrace(out []byte) []pkgInit {
	var inits []pkgInit
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// init PKG @T ms, C ms clock, B bytes, A allocs
		if len(f) != 11 || f[0] != "init" || f[6] != "clock," || f[8] != "bytes," || f[10] != "allocs" {
			continue
		}
		ms, err1 := strconv.ParseFloat(f[4], 64)
		b, err2 := strconv.ParseInt(f[7], 10, 64)
		a, err3 := strconv.ParseInt(f[9], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		inits = append(inits, pkgInit{pkg: f[1], clock: time.Duration(ms * float64(time.Millisecond)), bytes: b, allocs: a})
	}
	return inits
}

// isSDK reports whether pkg belongs to the AWS SDK or smithy.
func isSDK(pkg string) bool {
	return strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2") || strings.HasPrefix(pkg, "github.com/aws/smithy-go")
}

// traceInits starts every binary runs times with GODEBUG=inittrace=1
// (interleaved like the timed runs) and prints, per binary, the medians of
// its total package init and of its top packages.
func traceInits(bins []*binary, runs, top int, nexts *atomic.Int64) error {
	type acc struct {
		total, sdk             []time.Duration
		allocs, bytes, sdkAllo []int64
		byPkg                  map[string][]pkgInit
	}
	accs := make([]*acc, len(bins))
	for i := range accs {
		accs[i] = &acc{byPkg: map[string][]pkgInit{}}
	}
	for r := 0; r < runs; r++ {
		for i, b := range bins {
			before := nexts.Load()
			cmd := exec.Command(b.path)
			cmd.Env = append(slices.Clone(b.env), "GODEBUG=inittrace=1")
			out, _ := cmd.CombinedOutput()
			if nexts.Load() == before {
				return fmt.Errorf("%s exited before asking for an event: %s", b.name, out)
			}
			inits := parseInitTrace(out)
			if len(inits) == 0 {
				return fmt.Errorf("%s printed no inittrace lines: %s", b.name, out)
			}
			a := accs[i]
			var total, sdk time.Duration
			var allocs, byts, sdkAllocs int64
			for _, in := range inits {
				total += in.clock
				allocs += in.allocs
				byts += in.bytes
				if isSDK(in.pkg) {
					sdk += in.clock
					sdkAllocs += in.allocs
				}
				a.byPkg[in.pkg] = append(a.byPkg[in.pkg], in)
			}
			a.total = append(a.total, total)
			a.sdk = append(a.sdk, sdk)
			a.allocs = append(a.allocs, allocs)
			a.bytes = append(a.bytes, byts)
			a.sdkAllo = append(a.sdkAllo, sdkAllocs)
		}
	}
	fmt.Printf("\npackage init (GODEBUG=inittrace=1), medians of %d starts each\n", runs)
	fmt.Printf("%-16s %10s %10s %10s %12s %14s\n", "function", "init clock", "SDK clock", "allocs", "SDK allocs", "bytes")
	for i, b := range bins {
		a := accs[i]
		fmt.Printf("%-16s %10s %10s %10d %12d %14d\n", b.name, round(median(a.total)), round(median(a.sdk)), medianInt(a.allocs), medianInt(a.sdkAllo), medianInt(a.bytes))
	}
	for i, b := range bins {
		type row struct {
			pkg           string
			clock         time.Duration
			allocs, bytes int64
		}
		var rows []row
		for pkg, ins := range accs[i].byPkg {
			var clocks []time.Duration
			var allocs, byts []int64
			for _, in := range ins {
				clocks = append(clocks, in.clock)
				allocs = append(allocs, in.allocs)
				byts = append(byts, in.bytes)
			}
			rows = append(rows, row{pkg, median(clocks), medianInt(allocs), medianInt(byts)})
		}
		slices.SortFunc(rows, func(x, y row) int {
			if x.clock != y.clock {
				return int(y.clock - x.clock)
			}
			return strings.Compare(x.pkg, y.pkg)
		})
		fmt.Printf("\n%s: top %d of %d package inits by clock\n", b.name, min(top, len(rows)), len(rows))
		for _, r := range rows[:min(top, len(rows))] {
			fmt.Printf("  %-70s %9s %7d allocs %9d B\n", r.pkg, round(r.clock), r.allocs, r.bytes)
		}
	}
	return nil
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
