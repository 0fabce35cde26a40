// The tests start OS processes and keep both cores busy: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
