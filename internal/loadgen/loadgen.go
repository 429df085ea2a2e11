// Package loadgen drives an HTTP endpoint with N concurrent clients for a
// bounded number of requests and a bounded time, and reports throughput
// and latency percentiles. Benchmarks use it on loopback only.
//
// The shortest use:
//
//	res, err := loadgen.Run(ctx, loadgen.Config{URL: url, Clients: 32, Requests: 10000,
//		Body: func(i int) []byte { return bodies[i] }})
//	fmt.Println(res.PerSecond(), res.Percentile(0.99))
package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Config says what to send.
type Config struct {
	URL string
	// Header is sent with every request.
	Header http.Header
	// Body returns the body of request i (0 ≤ i < Requests).
	Body func(i int) []byte
	// Clients is how many requests are in flight at once (default 16).
	Clients int
	// Requests bounds the number of requests (required).
	Requests int
	// MaxDuration stops sending after this long (default 1 minute).
	MaxDuration time.Duration
	// Status is the status every answer must have (default 202).
	Status int
}

// Result is what a run measured.
type Result struct {
	Sent    int
	Errors  int // transport errors and unexpected statuses
	Elapsed time.Duration
	// FirstError describes the first error, if any.
	FirstError string
	latencies  []time.Duration // sorted
}

// PerSecond is the rate of successful requests.
func (r *Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent-r.Errors) / r.Elapsed.Seconds()
}

// Percentile returns the latency below which a fraction q of the requests
// completed (nearest rank), 0 with no requests.
func (r *Result) Percentile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.latencies))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(r.latencies) {
		i = len(r.latencies) - 1
	}
	return r.latencies[i]
}

// Merge combines the results of several runs (rounds of one measurement):
// their requests, errors, elapsed times and latencies add up.
func Merge(rs ...*Result) *Result {
	out := &Result{}
	for _, r := range rs {
		out.Sent += r.Sent
		out.Errors += r.Errors
		out.Elapsed += r.Elapsed
		if out.FirstError == "" {
			out.FirstError = r.FirstError
		}
		out.latencies = append(out.latencies, r.latencies...)
	}
	sort.Slice(out.latencies, func(i, j int) bool { return out.latencies[i] < out.latencies[j] })
	return out
}

// Run sends the requests and waits for every answer.
func Run(ctx context.Context, c Config) (*Result, error) {
	if c.Requests <= 0 || c.Body == nil || c.URL == "" {
		return nil, errors.New("loadgen: URL, Body and Requests are required")
	}
	if c.Clients <= 0 {
		c.Clients = 16
	}
	if c.MaxDuration <= 0 {
		c.MaxDuration = time.Minute
	}
	if c.Status == 0 {
		c.Status = http.StatusAccepted
	}
	ctx, cancel := context.WithTimeout(ctx, c.MaxDuration)
	defer cancel()
	tr := &http.Transport{MaxIdleConns: c.Clients, MaxIdleConnsPerHost: c.Clients, MaxConnsPerHost: c.Clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var (
		next    atomic.Int64
		mu      sync.Mutex
		res     = &Result{}
		wg      sync.WaitGroup
		perConn = make([][]time.Duration, c.Clients)
	)
	start := time.Now()
	for w := range c.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= c.Requests {
					return
				}
				t0 := time.Now()
				err := send(ctx, client, c, i)
				perConn[w] = append(perConn[w], time.Since(t0))
				mu.Lock()
				res.Sent++
				if err != nil {
					res.Errors++
					if res.FirstError == "" {
						res.FirstError = err.Error()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	for _, l := range perConn {
		res.latencies = append(res.latencies, l...)
	}
	sort.Slice(res.latencies, func(i, j int) bool { return res.latencies[i] < res.latencies[j] })
	return res, nil
}

func send(ctx context.Context, client *http.Client, c Config, i int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(c.Body(i)))
	if err != nil {
		return err
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != c.Status {
		return fmt.Errorf("request %d: status %d: %.200s", i, resp.StatusCode, b)
	}
	return nil
}
