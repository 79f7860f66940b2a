package main

import (
	"example.com/dep"
	"example.com/lib"
	"example.com/old"
	"fmt"
)

func main() { fmt.Println(dep.Hello(), lib.N(), old.M()) }
