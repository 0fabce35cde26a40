// The tests start anvil and wallet processes and keep both cores busy: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
