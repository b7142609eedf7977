// Package flowtest has an in-memory source and a collecting sink, so that
// stages can be unit-tested without AWS. The source records how each of its
// messages completed (acknowledged, failed, or not at all) and notices a
// message completed twice, which a correct pipeline never does.
package flowtest
