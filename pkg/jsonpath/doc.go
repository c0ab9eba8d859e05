// Package jsonpath implements Amazon States Language paths in the dialect AWS
// Step Functions uses, which is that of the Java Jayway JsonPath library.
//
// A path is parsed once with [Parse] (any ASL Path: InputPath, OutputPath,
// ItemsPath, Choice Variable, "k.$" template values, *Path fields) or with
// [ParseReference] (a Reference Path: ResultPath and catcher ResultPath), and
// the resulting [Path] is evaluated many times with [Path.Get] and, for
// reference paths, [Path.Set]. In the pipeline it sits between the JSON value
// type (package value) and the compiler and VM: the compiler stores parsed
// paths in a program's path pool and the VM applies them to state input,
// context object or variables.
//
// The root of a path selects the document: "$" is the state input, "$$" the
// context object and "$name" a workflow variable. The caller picks the
// document (see [Path.Root] and [Path.Var]) and passes it to Get or Set.
//
// A definite path (only member names and single indexes) yields one value or
// a [*NotFoundError] whose text reproduces the Jayway message AWS shows. An
// indefinite path (wildcard, slice, union of indexes, filter, deep scan)
// always yields an array of all matches, possibly empty. Get on a path made
// only of member names and indexes does not allocate.
//
// jsonpath imports only package value and the standard library.
//
// A Path is immutable and safe for concurrent use by multiple goroutines.
package jsonpath
