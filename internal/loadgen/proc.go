package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/alexis-project/alexis/internal/cputime"
)

// A Proc is a load generator in a process of its own, as the benchmarks
// of intake use it: its CPU time, heap, garbage collector and scheduler
// are then not those of the server it measures, as with wrk. The process
// runs Serve on its standard input and output; the parent sends it one
// job per run, then the order to start it.
type Proc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	enc *json.Encoder
	dec *json.Decoder
}

// job is a Config as it crosses to the process (the bodies themselves
// instead of the function that makes them), or the order to start it.
type job struct {
	URL         string
	Header      http.Header
	Clients     int
	Requests    int
	MaxDuration time.Duration
	Status      int
	Bodies      [][]byte
	Start       bool // run the job sent before
}

// reply acknowledges a job, or is its Result as it comes back with the
// process's CPU time during the run.
type reply struct {
	Sent       int
	Errors     int
	Elapsed    time.Duration
	FirstError string
	Latencies  []time.Duration
	CPU        time.Duration
	Err        string
	Ready      bool // the job was received
}

// Self returns the command that runs this program again as a load
// generator: with the environment variable env set to 1, which its main
// (a test binary's TestMain) hands to ServeIf first.
func Self(env string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env+"=1")
	cmd.Stderr = os.Stderr
	return cmd
}

// ServeIf makes this process a load generator when the environment
// variable env is 1 (see Self): it runs Serve on the standard input and
// output, then exits. Otherwise it returns at once.
func ServeIf(env string) {
	if os.Getenv(env) != "1" {
		return
	}
	if err := Serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Start starts cmd, whose main must call Serve with its standard input and
// output (see Self and ServeIf).
func Start(cmd *exec.Cmd) (*Proc, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &Proc{cmd: cmd, in: in, enc: json.NewEncoder(in), dec: json.NewDecoder(bufio.NewReader(out))}, nil
}

// Run runs c in the process and returns its result and the CPU time
// (user and system) the process used during the run: Prepare, then
// Prepared.Run.
func (p *Proc) Run(c Config) (*Result, time.Duration, error) {
	r, err := p.Prepare(c)
	if err != nil {
		return nil, 0, err
	}
	return r.Run()
}

// A Prepared job is held by the process, bodies and all, ready to run.
type Prepared struct{ p *Proc }

// Prepare makes c's bodies and sends them to the process, and returns once
// it holds them: what the caller measures after this (its CPU time, a
// profile) is then the run alone.
func (p *Proc) Prepare(c Config) (*Prepared, error) {
	if c.Requests <= 0 || c.Body == nil || c.URL == "" {
		return nil, errors.New("loadgen: URL, Body and Requests are required")
	}
	j := job{URL: c.URL, Header: c.Header, Clients: c.Clients, Requests: c.Requests,
		MaxDuration: c.MaxDuration, Status: c.Status, Bodies: make([][]byte, c.Requests)}
	for i := range j.Bodies {
		j.Bodies[i] = c.Body(i)
	}
	if err := p.enc.Encode(&j); err != nil {
		return nil, fmt.Errorf("loadgen: sending the job: %w", err)
	}
	var r reply
	if err := p.dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("loadgen: reading the job's receipt: %w", err)
	}
	if r.Err != "" || !r.Ready {
		return nil, fmt.Errorf("loadgen: job refused: %s", r.Err)
	}
	return &Prepared{p}, nil
}

// Run starts the prepared job and waits for its result and the process's
// CPU time during the run.
func (r *Prepared) Run() (*Result, time.Duration, error) {
	p := r.p
	if err := p.enc.Encode(&job{Start: true}); err != nil {
		return nil, 0, fmt.Errorf("loadgen: starting the job: %w", err)
	}
	var rep reply
	if err := p.dec.Decode(&rep); err != nil {
		return nil, 0, fmt.Errorf("loadgen: reading the result: %w", err)
	}
	if rep.Err != "" {
		return nil, 0, errors.New(rep.Err)
	}
	res := &Result{Sent: rep.Sent, Errors: rep.Errors, Elapsed: rep.Elapsed, FirstError: rep.FirstError, latencies: rep.Latencies}
	return res, rep.CPU, nil
}

// Close ends the process (its Serve returns when its input ends) and waits
// for it.
func (p *Proc) Close() error {
	p.in.Close()
	return p.cmd.Wait()
}

// Serve is the main of a load generator process: it reads jobs from r,
// acknowledges each, runs it when told to start and writes its result to
// w, until r ends.
func Serve(r io.Reader, w io.Writer) error {
	dec := json.NewDecoder(bufio.NewReader(r))
	enc := json.NewEncoder(w)
	var ready *Config // the job received, waiting for its start
	for {
		var j job
		if err := dec.Decode(&j); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("loadgen: reading a job: %w", err)
		}
		var rep reply
		switch {
		case !j.Start:
			bodies := j.Bodies
			ready = &Config{URL: j.URL, Header: j.Header, Clients: j.Clients, Requests: j.Requests,
				MaxDuration: j.MaxDuration, Status: j.Status, Body: func(i int) []byte { return bodies[i] }}
			rep.Ready = true
		case ready == nil:
			rep.Err = "loadgen: start without a job"
		default:
			c0 := cputime.Self()
			res, err := Run(context.Background(), *ready)
			rep.CPU = cputime.Self() - c0
			ready = nil
			if err != nil {
				rep.Err = err.Error()
			} else {
				rep.Sent, rep.Errors, rep.Elapsed, rep.FirstError, rep.Latencies = res.Sent, res.Errors, res.Elapsed, res.FirstError, res.latencies
			}
		}
		if err := enc.Encode(&rep); err != nil {
			return fmt.Errorf("loadgen: writing a result: %w", err)
		}
	}
}
