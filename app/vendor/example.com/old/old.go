package old
func M() int { return 5 }
