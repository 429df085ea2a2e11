package ssh

// PureNew reports that New is safe to call from several goroutines at once,
// depends on nothing but its parameters, and returns an Action that is
// never changed afterwards: rule loading (package rule) may call it in
// parallel and let tasks written with equal parameters share one Action.
func (k *Kind) PureNew() bool { return true }
