package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// calibrationBody is the size of a calibration POST: about one event.
const calibrationBody = 1024

// Calibration is the machine's raw loopback HTTP rate, against which
// deliveries/s are reported, since absolute rates vary between machines
// and runs.
type Calibration struct {
	RequestsPerSec float64 `json:"requests_per_s"`
	// CPUCores is how many cores the two goroutines kept busy together.
	CPUCores float64 `json:"cpu_cores"`
}

// calibrate measures the raw loopback rate: one goroutine POSTs 1 KiB
// bodies to a server goroutine that answers 204, over one keep-alive
// connection, for d.
func calibrate(ctx context.Context, d time.Duration) (Calibration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Calibration{}, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, DisableCompression: true}}
	defer client.CloseIdleConnections()
	url := "http://" + ln.Addr().String() + "/"
	body := bytes.Repeat([]byte("x"), calibrationBody)
	post := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	// A short warm-up opens the connection and grows the buffers.
	for warm := time.Now().Add(d / 10); time.Now().Before(warm); {
		if err := post(); err != nil {
			return Calibration{}, err
		}
	}
	start, cpu := time.Now(), selfCPU()
	n := 0
	for time.Since(start) < d {
		if err := post(); err != nil {
			return Calibration{}, err
		}
		n++
	}
	elapsed := time.Since(start).Seconds()
	return Calibration{RequestsPerSec: float64(n) / elapsed, CPUCores: (selfCPU() - cpu).Seconds() / elapsed}, nil
}
