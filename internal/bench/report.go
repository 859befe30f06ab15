package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is a bench run's outcome.
type Report struct {
	Machine Machine `json:"machine"`
	// Calibration is the first scenario's; each result has its own.
	Calibration Calibration `json:"calibration"`
	Results     []*Result   `json:"results"`
}

// Machine says where the numbers were taken.
type Machine struct {
	CPU        string `json:"cpu"`
	CPUs       int    `json:"cpus"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	LoadAvg    string `json:"load_average_at_start"`
	Gateway    string `json:"gateway"`
	StartedAt  string `json:"started_at"`
	GOMAXPROCS int    `json:"gomaxprocs"`
}

// Result is one scenario's numbers.
type Result struct {
	Scenario         string  `json:"scenario"`
	Note             string  `json:"note,omitempty"`
	Failure          string  `json:"failure,omitempty"`
	Events           int     `json:"events_published"`
	Deliveries       uint64  `json:"deliveries"`
	PublishedPerSec  float64 `json:"published_per_s"`
	DeliveriesPerSec float64 `json:"deliveries_per_s"`
	// DeliverySeconds is the span from the first publish (or the resume)
	// to the last delivery.
	DeliverySeconds float64 `json:"delivery_s"`
	// Calibration is the loopback rate measured just before the scenario.
	Calibration float64  `json:"calibration_requests_per_s"`
	Ratio       float64  `json:"deliveries_ratio_to_calibration"`
	Latency     *Latency `json:"latency_ms,omitempty"`
	// Errors adds refused and failed publishes, deliveries that never came,
	// and errors the gateway logged.
	Errors         int     `json:"errors"`
	FirstError     string  `json:"first_error,omitempty"`
	GatewayErrors  int     `json:"gateway_logged_errors"`
	GatewayPeakRSS int64   `json:"gateway_peak_rss_bytes,omitempty"`
	GatewayCPU     float64 `json:"gateway_cpu_s,omitempty"`
	ReceiverCPU    float64 `json:"receiver_cpu_s,omitempty"`
	LoadCPU        float64 `json:"load_generator_cpu_s,omitempty"`
	// LoadAvg1 is the machine's 1-minute load average when the scenario
	// ended: a MISSED on a busy machine says little about the gateway.
	LoadAvg1 float64 `json:"load_average_1m"`
	// Extra holds what only this scenario measures.
	Extra    map[string]float64 `json:"extra,omitempty"`
	Targets  []Target           `json:"targets,omitempty"`
	Warnings []string           `json:"warnings,omitempty"`
}

// Latency is publish→receive time in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Target is one of the goals, judged against a result.
type Target struct {
	Goal   string `json:"goal"`
	Met    bool   `json:"met"`
	Actual string `json:"actual"`
}

// newResult computes a scenario's numbers from what was published and
// what one receiver label got; deliveries/s counts from since.
func newResult(name string, pub publishStats, rs receiverStats, label string, want int, since time.Time) *Result {
	res := &Result{Scenario: name, Events: pub.Acked, FirstError: pub.FirstError, LoadAvg1: loadAverage1(),
		Extra: map[string]float64{"receiver_connections": float64(rs.Connections)}}
	got := rs.Labels[label]
	if s := pub.seconds(); s > 0 {
		res.PublishedPerSec = float64(pub.Acked) / s
	}
	res.Errors = pub.errors()
	if pub.Ack.N > 0 {
		res.Extra["ack_p50_ms"] = ms(pub.Ack.Quantile(0.5))
		res.Extra["ack_p99_ms"] = ms(pub.Ack.Quantile(0.99))
	}
	if got != nil {
		res.Deliveries = got.Count
		res.DeliverySeconds = float64(got.LastNs-since.UnixNano()) / 1e9
		if res.DeliverySeconds > 0 {
			res.DeliveriesPerSec = float64(got.Count) / res.DeliverySeconds
		}
		if h := got.histogram(); h.N > 0 {
			res.Latency = &Latency{P50: ms(h.Quantile(0.5)), P90: ms(h.Quantile(0.9)), P99: ms(h.Quantile(0.99)), Max: ms(h.Max())}
		}
	}
	switch diff := int(res.Deliveries) - want; {
	case diff < 0:
		res.Errors -= diff
		if res.FirstError == "" {
			res.FirstError = fmt.Sprintf("%d deliveries never arrived", -diff)
		}
	case diff > 0: // at-least-once: a repeat is allowed, and worth knowing
		res.Extra["duplicate_deliveries"] = float64(diff)
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func describeMachine(cfg Config) Machine {
	m := Machine{
		CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version(),
		Kernel: readTrimmed("/proc/sys/kernel/osrelease"), StartedAt: time.Now().UTC().Format(time.RFC3339),
	}
	if f := strings.Fields(readTrimmed("/proc/loadavg")); len(f) >= 3 {
		m.LoadAvg = strings.Join(f[:3], " ")
	}
	for line := range strings.SplitSeq(readTrimmed("/proc/cpuinfo"), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			m.CPU = strings.TrimSpace(value)
			break
		}
	}
	switch {
	case cfg.URL != "":
		m.Gateway = "external at " + cfg.URL
	case cfg.Database != "":
		m.Gateway = "child process, --database"
	default:
		m.Gateway = "child process, SQLite (synchronous=FULL, group commit) in a temporary directory"
	}
	return m
}

// loadAverage1 reads the 1-minute load average from /proc/loadavg; 0
// where there is none.
func loadAverage1() float64 {
	f := strings.Fields(readTrimmed("/proc/loadavg"))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func readTrimmed(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

// judge checks results against the targets of issue 6.
func judge(rep *Report) {
	var batchRate float64
	for _, r := range rep.Results {
		if r.Scenario == "batch" && r.Failure == "" {
			batchRate = r.DeliveriesPerSec
		}
	}
	ratio := func(r *Result, floor float64) Target {
		return Target{fmt.Sprintf("deliveries/s ≥ %.2f × calibration", floor), r.Ratio >= floor, fmt.Sprintf("%.2f ×", r.Ratio)}
	}
	for _, r := range rep.Results {
		if r.Failure != "" {
			continue
		}
		switch r.Scenario {
		case "single":
			r.Targets = append(r.Targets, ratio(r, 0.25))
		case "batch":
			r.Targets = append(r.Targets, ratio(r, 0.5))
		case "rate", "slow-endpoint":
			if r.Latency != nil {
				r.Targets = append(r.Targets, Target{
					fmt.Sprintf("p99 publish→receive < 20 ms at %.0f events/s", r.Extra["rate_per_s"]),
					r.Latency.P99 < 20, fmt.Sprintf("%.1f ms", r.Latency.P99)})
			}
		case "pull":
			if batchRate > 0 {
				v := r.DeliveriesPerSec / batchRate
				r.Extra["pull_vs_batch_deliveries"] = v
				r.Targets = append(r.Targets, Target{"drain ≥ 2 × batch deliveries/s", v >= 2, fmt.Sprintf("%.2f × (%.0f/s vs %.0f/s)", v, r.DeliveriesPerSec, batchRate)})
			} else {
				r.Targets = append(r.Targets, Target{"drain ≥ 2 × batch deliveries/s; run batch too to compare", false, fmt.Sprintf("%.2f × calibration", r.Ratio)})
			}
			if r.Latency != nil {
				r.Targets = append(r.Targets, Target{
					fmt.Sprintf("p99 publish→payload in a long poll < 20 ms at %.0f events/s", r.Extra["rate_per_s"]),
					r.Latency.P99 < 20, fmt.Sprintf("%.1f ms", r.Latency.P99)})
			}
		case "filters":
			v := r.Extra["filtered_vs_unfiltered_publish"]
			r.Targets = append(r.Targets, Target{"published/s with 10,000 filters ≥ 80% of unfiltered", v >= 0.8, fmt.Sprintf("%.0f%%", 100*v)})
		case "backlog":
			goal := "peak RSS < 300 MB"
			if r.Events < 1_000_000 {
				goal += fmt.Sprintf(" (at %d pending; the goal is for 1,000,000)", r.Events)
			}
			r.Targets = append(r.Targets, Target{goal, r.GatewayPeakRSS > 0 && r.GatewayPeakRSS < 300<<20, mb(r.GatewayPeakRSS)})
			if batchRate > 0 {
				r.Targets = append(r.Targets, Target{"drain ≥ batch deliveries/s", r.DeliveriesPerSec >= batchRate,
					fmt.Sprintf("%.0f/s vs %.0f/s", r.DeliveriesPerSec, batchRate)})
			} else {
				r.Targets = append(r.Targets, Target{"drain ≥ the batch goal (0.50 × calibration); run batch too to compare", r.Ratio >= 0.5, fmt.Sprintf("%.2f ×", r.Ratio)})
			}
		}
	}
}

func mb(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
}

// writeText writes the report as a table followed by notes and targets.
func (rep *Report) writeText(w io.Writer) error {
	m := rep.Machine
	fmt.Fprintf(w, "machine:     %s, %d CPUs (GOMAXPROCS %d), Linux %s, %s, load %s\n", m.CPU, m.CPUs, m.GOMAXPROCS, m.Kernel, m.Go, m.LoadAvg)
	fmt.Fprintf(w, "gateway:     %s\n", m.Gateway)
	fmt.Fprintf(w, "calibration: %.0f requests/s (1 KiB POSTs, one keep-alive loopback connection, %.1f cores busy); remeasured before each scenario\n\n",
		rep.Calibration.RequestsPerSec, rep.Calibration.CPUCores)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tevents\tpublished/s\tdeliveries/s\tcalib/s\t× calib\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\tpeak RSS\tCPU s\t")
	for _, r := range rep.Results {
		if r.Failure != "" {
			fmt.Fprintf(tw, "%s\tFAILED\t\t\t\t\t\t\t\t\t\t\t\t\n", r.Scenario)
			continue
		}
		lat := [4]string{"-", "-", "-", "-"}
		if l := r.Latency; l != nil {
			lat = [4]string{f1(l.P50), f1(l.P90), f1(l.P99), f1(l.Max)}
		}
		cpu := "-"
		if r.GatewayCPU > 0 {
			cpu = f1(r.GatewayCPU)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n",
			r.Scenario, r.Events, r.PublishedPerSec, r.DeliveriesPerSec, r.Calibration, r.Ratio, lat[0], lat[1], lat[2], lat[3], r.Errors, mb(r.GatewayPeakRSS), cpu)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rep.Results {
		fmt.Fprintf(w, "\n%s:", r.Scenario)
		if r.Failure != "" {
			fmt.Fprintf(w, " FAILED: %s\n", r.Failure)
			continue
		}
		fmt.Fprintln(w)
		if r.Note != "" {
			fmt.Fprintf(w, "  %s\n", r.Note)
		}
		fmt.Fprintf(w, "  CPU seconds: gateway %.1f, receiver %.1f, load generator %.1f; deliveries %d in %.1f s\n",
			r.GatewayCPU, r.ReceiverCPU, r.LoadCPU, r.Deliveries, r.DeliverySeconds)
		for _, k := range sortedKeys(r.Extra) {
			fmt.Fprintf(w, "  %s: %s\n", k, f1(r.Extra[k]))
		}
		if r.FirstError != "" {
			fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
		}
		for _, t := range r.Targets {
			verdict := "MET"
			if !t.Met {
				verdict = "MISSED"
			}
			fmt.Fprintf(w, "  target %s: %s (%s; load average %.2f on %d CPUs)\n", t.Goal, verdict, t.Actual, r.LoadAvg1, rep.Machine.CPUs)
		}
		for _, warn := range r.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", warn)
		}
	}
	return nil
}

func f1(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
