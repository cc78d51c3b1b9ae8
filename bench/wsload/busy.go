package main

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// busyLoopArg makes this program a busy loop (see startBusyLoop).
const busyLoopArg = "-busy-loop"

// busyGrace is how long the busy loop gets to end after each of closing
// its stdin and SIGINT before it is killed.
const busyGrace = 2 * time.Second

// busyLoop spins on one core until its stdin is closed.
func busyLoop() {
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	for n := 0; ; n++ {
		if n%(1<<20) == 0 {
			select {
			case <-done:
				return
			default:
			}
		}
	}
}

// startBusyLoop runs this program again as a busy loop: another process
// that keeps one core busy, as other work on the machine would. stop ends
// it: stdin closed, then SIGINT, then SIGKILL, then Wait.
func startBusyLoop() (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, busyLoopArg)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	return func() {
		_ = stdin.Close()
		select {
		case <-exited:
			return
		case <-time.After(busyGrace):
		}
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
			return
		case <-time.After(busyGrace):
		}
		_ = cmd.Process.Kill()
		<-exited
	}, nil
}

// raiseOpenFiles raises this process's open-file limit to its hard limit:
// thousands of clients need as many descriptors (and eddy, started by this
// process, inherits the limit).
func raiseOpenFiles() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	// Go raised the soft limit already but gives children the original
	// one back, unless the limit is set explicitly: set it.
	l.Cur = l.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}
