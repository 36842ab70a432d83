#!/usr/bin/env bash
# Runs Veil's JMH benchmarks (tests/src/test/java/dev/veil/tests/bench).
#
#   tests/bench/run-jmh.sh [REGEX] [extra JMH args...]     e.g. run-jmh.sh 'PolicyDecide.*mix' -p rules=1000
#
#   JMH_QUICK=1     quick smoke run for CI: -f 1 -wi 1 -w 500ms -i 1 -r 500ms
#   JMH_ARGS="..."  replaces the default run arguments (-f 1 -wi 3 -w 2s -i 3 -r 1s)
#
# The default warm-up is 3 x 2 s rather than 2 x 1 s: on a 2-core machine that is busy with other builds, C2 needs
# several seconds to compile decide(), and shorter warm-ups measure half-compiled code (10-50x slower). The quick mode
# only shows that every benchmark runs; do not compare its numbers.
#   JMH_BUILD=0     skip compiling the benchmarks (tests/target/test-classes as it is); the main modules are still brought
#                   up to date, since Maven names their target/classes on the class path only after a compile in the
#                   same run (otherwise it would take jars installed in ~/.m2, which the run refuses)
#   MVN_OFFLINE=0   let Maven download (default: offline, -o)
#   JAVA=/path/java the JVM to benchmark on (default: java on PATH)
#   JMH_MAIN=class  the main class (default: org.openjdk.jmh.Main; dev.veil.tests.bench.CryptoBenchmarkMain when REGEX
#                   names Crypto, which runs the same JMH and then prints MB/s and the crypto targets' ratios)
#
#   tests/bench/run-jmh.sh ContactsBenchmark               pseudonymise and re-identify 10,000 contacts, alone and with
#                                                          the H2 vault; prints contacts/s and the 20,000/s target
#   tests/bench/run-jmh.sh CryptoBenchmark                 S/MIME, OpenPGP and raw AES-GCM at 5 KB, 50 KB, 1 MB, and
#                                                          RSA-OAEP unwrap vs X25519 (about 10 minutes on 2 cores)
#
# Builds the project (JMH's annotation processor generates the harness at test-compile), writes the tests module's test
# class path, and runs org.openjdk.jmh.Main on it. Extra arguments go to JMH after the defaults, so they win
# (e.g. -rf json -rff result.json, -prof gc, -p rules=1000).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="$root/tests/target"
java="${JAVA:-java}"

offline=(-o)
[[ "${MVN_OFFLINE:-1}" == 0 ]] && offline=()

regex="${1:-dev.veil.tests.bench.*}"
[[ $# -gt 0 ]] && shift

if [[ "${JMH_QUICK:-0}" == 1 ]]; then
    default_args="-f 1 -wi 1 -w 500ms -i 1 -r 500ms"
else
    default_args="-f 1 -wi 3 -w 2s -i 3 -r 1s"
fi
read -r -a run_args <<< "${JMH_ARGS:-$default_args}"

cd "$root"
# Others may rebuild (or clean) tests/target while a run is going on, which would pull the classes out from under the
# forked JMH JVMs. So the run works on a private snapshot of everything that is ours.
snap="$(mktemp -d "${TMPDIR:-/tmp}/veil-jmh.XXXXXX")"
trap 'rm -rf "$snap"' EXIT
cp_file="$snap/classpath.txt"
# Built in the reactor (never "mvn install", which would replace the dev.veil jars in the shared ~/.m2): our own modules
# are then their target/classes directories on the class path, this worktree's code and nobody else's.
goals=(test-compile dependency:build-classpath)
[[ "${JMH_BUILD:-1}" == 0 ]] && goals=(compile dependency:build-classpath)
echo "run-jmh: building (mvn ${offline[*]} -q -pl tests -am ${goals[*]})" >&2
mvn "${offline[@]}" -q -pl tests -am "${goals[@]}" -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >&2
[[ -d "$target/test-classes" ]] && cp -r "$target/test-classes" "$snap/test-classes"
classpath="$snap/test-classes"
if [[ -d "$target/classes" ]]; then
    cp -r "$target/classes" "$snap/classes"
    classpath="$classpath:$snap/classes"
fi
IFS=: read -r -a entries < "$cp_file" || true # the file has no final newline
n=0
for entry in "${entries[@]}"; do
    if [[ "$entry" == */.m2/*/dev/veil/* ]]; then
        # JMH_BUILD=0 without a build in this reactor resolves our modules to jars someone installed into ~/.m2, which
        # may be any older version: measuring those would report figures for code that is not in this tree
        echo "run-jmh: $entry is an installed jar, not this tree's build: run without JMH_BUILD=0" >&2
        exit 1
    fi
    if [[ -d "$entry" || "$entry" == */dev/veil/* ]]; then # our own modules: copy; released jars do not change
        n=$((n + 1))
        copy="$snap/dep$n-$(basename "$entry")"
        cp -r "$entry" "$copy"
        entry="$copy"
    fi
    classpath="$classpath:$entry"
done
if [[ ! -s "$snap/test-classes/META-INF/BenchmarkList" ]]; then
    echo "run-jmh: no META-INF/BenchmarkList in tests/target/test-classes (a concurrent clean? run again)" >&2
    exit 1
fi

main="org.openjdk.jmh.Main"
[[ "$regex" == *Crypto* ]] && main="dev.veil.tests.bench.CryptoBenchmarkMain"
[[ "$regex" == *Contacts* ]] && main="dev.veil.tests.bench.ContactsBenchmarkMain"
main="${JMH_MAIN:-$main}"

echo "run-jmh: java $main $regex ${run_args[*]} $*   [$(uptime | sed 's/.*load/load/')]" >&2
status=0
"$java" -cp "$classpath" "$main" "$regex" "${run_args[@]}" "$@" || status=$?
echo "run-jmh: done [$(uptime | sed 's/.*load/load/')]" >&2
exit "$status"
