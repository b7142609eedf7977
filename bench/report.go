package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"os"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// writeJSONL writes one JSON object per result.
func writeJSONL(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// readJSONL reads results written by writeJSONL; a missing file is no results.
func readJSONL(path string) ([]Result, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// mergeResults returns old with each result of fresh replacing the one with
// the same key (implementation, scenario, N, window), in report order.
func mergeResults(old, fresh []Result) []Result {
	byKey := map[string]Result{}
	for _, r := range old {
		byKey[r.key()] = r
	}
	for _, r := range fresh {
		byKey[r.key()] = r
	}
	out := make([]Result, 0, len(byKey))
	for _, r := range byKey {
		out = append(out, r)
	}
	sortResults(out)
	return out
}

// sortResults orders results by scenario, N, window, then implementation,
// as the report lists them.
func sortResults(rs []Result) {
	rank := func(list []string, s string) int {
		if i := slices.Index(list, s); i >= 0 {
			return i
		}
		return len(list)
	}
	slices.SortStableFunc(rs, func(a, b Result) int {
		if d := rank(allScenarios, a.Scenario) - rank(allScenarios, b.Scenario); d != 0 {
			return d
		}
		if d := a.N - b.N; d != 0 && a.Scenario != ScenarioSlow {
			return d
		}
		if d := a.Window - b.Window; d != 0 {
			return d
		}
		return rank(implNames(), a.Impl) - rank(implNames(), b.Impl)
	})
}

// find returns the result for impl in scenario with the given N and window
// (0: any).
func find(rs []Result, impl, scenario string, n, window int) (Result, bool) {
	for _, r := range rs {
		if r.Impl == impl && r.Scenario == scenario && (n == 0 || r.N == n) && (window == 0 || r.Window == window) {
			return r, true
		}
	}
	return Result{}, false
}

// mainN returns the N of a scenario that most implementations ran (the
// smaller on a tie): the run the table's ratios and the chart use.
func mainN(rs []Result, scenario string) int {
	count := map[int]int{}
	for _, r := range rs {
		if r.Scenario == scenario {
			count[r.N]++
		}
	}
	best, bestCount := 0, 0
	for n, c := range count {
		if c > bestCount || (c == bestCount && n < best) {
			best, bestCount = n, c
		}
	}
	return best
}

// markdown renders the results as a table for people, with the targets of
// the issue checked against them.
func markdown(rs []Result, command string) string {
	var b strings.Builder
	if command != "" {
		fmt.Fprintf(&b, "Command: `%s`\n\n", command)
	}
	for _, r := range rs {
		if len(r.Rounds) > 1 {
			fmt.Fprintf(&b, "Each row is the median of %d rounds, the implementations taking turns round after round.\n\n", len(r.Rounds))
			break
		}
	}
	b.WriteString("| implementation | scenario | N | window | msgs/s | × rawsdk | AWS req/msg (client / server) | client CPU µs/msg | server CPU µs/msg | latency p50 / p99 ms | peak RSS MiB | check |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rs {
		ratio := "–"
		if raw, ok := find(rs, "rawsdk", r.Scenario, r.N, r.Window); ok && raw.MsgsPerSec > 0 && r.Scenario != ScenarioLatency {
			ratio = fmt.Sprintf("%.2f", r.MsgsPerSec/raw.MsgsPerSec)
		}
		req := fmt.Sprintf("%.3f", r.RequestsPerMsg)
		if r.ServerRequestsPerMsg != nil {
			req += fmt.Sprintf(" / %.3f", *r.ServerRequestsPerMsg)
		}
		serverCPU := "–"
		if r.ServerCPUSecPerMsg != nil {
			serverCPU = fmt.Sprintf("%.0f", *r.ServerCPUSecPerMsg*1e6)
		}
		lat := "–"
		if r.P50Ms != nil && r.P99Ms != nil {
			lat = fmt.Sprintf("%.1f / %.1f", *r.P50Ms, *r.P99Ms)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %.0f | %s | %s | %.0f | %s | %s | %.0f | %s |\n",
			r.Impl, r.Scenario, r.N, r.Window, r.MsgsPerSec, ratio, req, r.CPUSecPerMsg*1e6, serverCPU, lat, r.PeakRSSMB, check(r))
	}
	b.WriteString("\n")
	b.WriteString(targets(rs))
	return b.String()
}

// check summarises the correctness check of one result.
func check(r Result) string {
	var parts []string
	if r.OK {
		parts = append(parts, "ok")
	} else {
		parts = append(parts, "FAIL")
	}
	parts = append(parts, fmt.Sprintf("%d dup", r.Duplicates))
	if r.Missing > 0 {
		parts = append(parts, fmt.Sprintf("%d missing", r.Missing))
	}
	if r.OrderViolations != nil {
		parts = append(parts, fmt.Sprintf("%d out of order", *r.OrderViolations))
	}
	if r.Downstream != nil {
		parts = append(parts, fmt.Sprintf("%d downstream", *r.Downstream))
	}
	if r.Error != "" {
		parts = append(parts, strings.ReplaceAll(r.Error, "|", "/"))
	}
	return strings.Join(parts, ", ")
}

// targets checks the targets against the results, as a list.
func targets(rs []Result) string {
	var b strings.Builder
	b.WriteString("Targets (ratios measured side by side in this run):\n\n")
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	n := mainN(rs, ScenarioTransform)
	sf, okSF := find(rs, "sqsflow", ScenarioTransform, n, 0)
	if okSF {
		if raw, ok := find(rs, "rawsdk", ScenarioTransform, n, 0); ok && raw.MsgsPerSec > 0 {
			ratio := sf.MsgsPerSec / raw.MsgsPerSec
			fmt.Fprintf(&b, "- transform, sqsflow ≥ 0.9× rawsdk throughput: %.2f× (%.0f vs %.0f msgs/s): %s\n", ratio, sf.MsgsPerSec, raw.MsgsPerSec, mark(ratio >= 0.9))
		}
		for _, peer := range []string{"watermill", "gocloud"} {
			if p, ok := find(rs, peer, ScenarioTransform, n, 0); ok && p.MsgsPerSec > 0 {
				fmt.Fprintf(&b, "- transform, sqsflow ahead of %s: %.2f× (%.0f vs %.0f msgs/s): %s\n", peer, sf.MsgsPerSec/p.MsgsPerSec, sf.MsgsPerSec, p.MsgsPerSec, mark(sf.MsgsPerSec > p.MsgsPerSec))
			}
		}
		fmt.Fprintf(&b, "- transform, sqsflow ≤ 0.31 AWS requests per message: %.3f: %s\n", sf.RequestsPerMsg, mark(sf.RequestsPerMsg <= 0.31))
	}
	var slow []Result
	for _, r := range rs {
		if r.Impl == "sqsflow" && r.Scenario == ScenarioSlow && r.MsgsPerSec > 0 {
			slow = append(slow, r)
		}
	}
	if len(slow) >= 2 {
		var parts []string
		scales := true
		for i, r := range slow {
			ideal := float64(r.Window) / 0.020
			parts = append(parts, fmt.Sprintf("window %d: %.0f msgs/s (%.0f%% of window/20ms)", r.Window, r.MsgsPerSec, 100*r.MsgsPerSec/ideal))
			if i > 0 && r.MsgsPerSec < slow[i-1].MsgsPerSec*1.2 && slow[i-1].MsgsPerSec < 0.8*float64(slow[i-1].Window)/0.020 {
				scales = false // stopped growing while still far from its window's limit
			}
		}
		first, last := slow[0], slow[len(slow)-1]
		growth := last.MsgsPerSec / first.MsgsPerSec
		scales = scales && growth >= 0.5*float64(last.Window)/float64(first.Window)
		fmt.Fprintf(&b, "- slow handler, sqsflow throughput scales with the window (batch size stays 10): %s; ×%.1f for ×%.0f window: %s\n",
			strings.Join(parts, "; "), growth, float64(last.Window)/float64(first.Window), mark(scales))
	}
	var drains []Result
	for _, r := range rs {
		if r.Impl == "sqsflow" && r.Scenario == ScenarioDrain && r.OK {
			drains = append(drains, r)
		}
	}
	if len(drains) >= 2 {
		slices.SortFunc(drains, func(a, b Result) int { return a.N - b.N })
		small, big := drains[0], drains[len(drains)-1]
		grows := big.PeakRSSMB > 1.5*small.PeakRSSMB
		fmt.Fprintf(&b, "- memory, sqsflow peak RSS independent of the backlog: %.0f MiB at N=%d vs %.0f MiB at N=%d: %s\n",
			small.PeakRSSMB, small.N, big.PeakRSSMB, big.N, mark(!grows))
	}
	return b.String()
}

// palette has a colour for each implementation, in the order of impls.
var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
}

// colorOf gives an implementation the same colour in every chart, whichever
// implementations a run has.
func colorOf(name string) color.Color {
	for i, im := range impls {
		if im.Name == name {
			return palette[i%len(palette)]
		}
	}
	return palette[0]
}

// writeChart draws a PNG of three panels: throughput and AWS requests per
// message by implementation (drain, transform, FIFO), and the slow
// handler's throughput by in-flight window.
func writeChart(w io.Writer, rs []Result) error {
	names := implNames()
	var barScenarios []string
	for _, sc := range []string{ScenarioDrain, ScenarioTransform, ScenarioFIFO} {
		if mainN(rs, sc) > 0 {
			barScenarios = append(barScenarios, sc)
		}
	}
	if len(barScenarios) == 0 {
		barScenarios = []string{ScenarioDrain} // an empty panel rather than none
	}
	values := func(metric func(Result) float64) map[string]plotter.Values {
		out := map[string]plotter.Values{}
		for _, sc := range barScenarios {
			n := mainN(rs, sc)
			for _, name := range names {
				v := 0.0
				if r, ok := find(rs, name, sc, n, 0); ok && r.Error == "" {
					v = metric(r)
				}
				out[name] = append(out[name], v)
			}
		}
		return out
	}
	bars := func(title, ylabel string, vals map[string]plotter.Values) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.Y.Label.Text = ylabel
		width := vg.Points(11)
		for i, name := range names {
			bc, err := plotter.NewBarChart(vals[name], width)
			if err != nil {
				return nil, err
			}
			bc.Color = colorOf(name)
			bc.LineStyle.Width = 0
			bc.Offset = width * vg.Length(float64(i)-float64(len(names)-1)/2)
			p.Add(bc)
			p.Legend.Add(name, bc)
		}
		p.NominalX(barScenarios...)
		p.Legend.Top = true
		p.Legend.Left = true
		p.Add(plotter.NewGrid())
		p.Y.Min = 0
		// Headroom above the tallest bar for the legend.
		top := 0.0
		for _, vs := range vals {
			for _, v := range vs {
				top = max(top, v)
			}
		}
		p.Y.Max = top * 1.45
		return p, nil
	}
	thr, err := bars("Throughput (higher is better)", "messages/s", values(func(r Result) float64 { return r.MsgsPerSec }))
	if err != nil {
		return err
	}
	req, err := bars("AWS requests per message (lower is better)", "requests/message", values(func(r Result) float64 { return r.RequestsPerMsg }))
	if err != nil {
		return err
	}
	slow := plot.New()
	slow.Title.Text = "Slow handler (20 ms/message): throughput by window"
	slow.X.Label.Text = "in-flight window (messages)"
	slow.Y.Label.Text = "messages/s"
	slow.Add(plotter.NewGrid())
	for _, name := range names {
		var xy plotter.XYs
		for _, r := range rs {
			if r.Impl == name && r.Scenario == ScenarioSlow && r.Error == "" {
				xy = append(xy, plotter.XY{X: float64(r.Window), Y: r.MsgsPerSec})
			}
		}
		if len(xy) == 0 {
			continue
		}
		slices.SortFunc(xy, func(a, b plotter.XY) int { return int(a.X - b.X) })
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		line.Color = colorOf(name)
		line.Width = vg.Points(1.5)
		points.Color = colorOf(name)
		slow.Add(line, points)
		slow.Legend.Add(name, line, points)
	}
	slow.Legend.Top = true
	slow.Legend.Left = true
	slow.Y.Min = 0
	slow.Y.Max *= 1.1

	img := vgimg.New(vg.Points(1350), vg.Points(420))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 3, PadX: vg.Points(18), PadY: vg.Points(10), PadTop: vg.Points(10), PadBottom: vg.Points(10), PadLeft: vg.Points(10), PadRight: vg.Points(10)}
	plots := [][]*plot.Plot{{thr, req, slow}}
	canvases := plot.Align(plots, tiles, dc)
	for i, p := range plots[0] {
		p.Draw(canvases[0][i])
	}
	png := vgimg.PngCanvas{Canvas: img}
	_, err = png.WriteTo(w)
	return err
}

// jsonLine returns a result as one line of JSON.
func jsonLine(r Result) (string, error) {
	b, err := json.Marshal(r)
	return string(b), err
}
