// Package bisect runs a vendor's pristine release binaries, version by
// version, in clean environments (Docker images, or this host), and the
// user's local copy beside them, to say whether a crash is local damage,
// an upstream regression, specific to an environment, or inconclusive.
//
// The pieces are separate so that each can be tested and replaced: a
// [Source] lists versions and fetches their binaries through a
// content-addressed [Cache]; a [Runner] runs one binary once and the
// result is classified ([Class]); [Run] searches for the first bad version
// in each image and [Verdict] turns the table into a sentence.
//
// The package never prints: progress goes to [Config.Progress].
//
// # Isolation
//
// The Docker runner bind-mounts the binary read-only into a container with
// no network, memory and pid limits, and a timeout, and removes the
// container afterwards, also when the context is cancelled. The host
// runner ([HostRunner]) runs the binary as this user, with only a timeout:
// use it only on binaries you would run anyway.
package bisect
