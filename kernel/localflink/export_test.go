package localflink

// PID returns the pid of a role's running JVM, 0 if it is not running.
func (c *Cluster) PID(role string) int {
	if p := c.process(role); p != nil {
		return p.pidOf()
	}
	return 0
}

// Restarts returns how often a role's JVM was restarted after a crash.
func (c *Cluster) Restarts(role string) int {
	if p := c.process(role); p != nil {
		return p.restartCount()
	}
	return 0
}

// pidOf returns the running child's pid, 0 between runs.
func (p *process) pidOf() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// PID returns the pid of the application cluster's JobManager, or 0.
func (a *AppCluster) PID() int { return a.jm.pidOf() }
