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
// The Docker runner bind-mounts the binary read-only into a container and
// runs it as nobody (or the file's owner when that is not root) with every
// capability dropped, no-new-privileges, a read-only root file system and
// a small tmpfs at /tmp, no network, and memory, pid, CPU, file-size and
// time limits. The engine removes the container when it exits; the runner
// removes it also when the context is cancelled, and [DockerRunner.RemoveStale]
// removes those of earlier bisections whose process is provably dead. The
// host runner ([HostRunner]) runs the binary as this user, with only a
// timeout, and kills the processes of a run that escaped its process
// group: use it only on binaries you would run anyway.
//
// # Security
//
// Registries, release servers and manifests are untrusted: every download
// and every file taken from a tarball is capped (a size a header declares
// is checked before a byte is written), a stalled server fails after
// [DefaultIdleTimeout], registry documents are parsed as they stream with
// bounded memory, digests are checked before a file enters the cache, and
// cached files are checked again whenever they are used, so a truncated or
// altered release is never run as the vendor's. [Cache.Verify] re-hashes
// every file instead of trusting its stamp, which also catches a blob
// changed by someone who can read the stamp key; nothing catches one who
// can write the cache's key files, so the cache must not be writable by
// others. Releases from a URL are verified only with a published checksum
// (npm's are by their integrity); without one the verdict says so.
package bisect
