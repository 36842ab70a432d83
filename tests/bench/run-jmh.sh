#!/usr/bin/env bash
# Runs Veil's JMH benchmarks (tests/src/test/java/dev/veil/tests/bench).
#
#   tests/bench/run-jmh.sh [REGEX] [extra JMH args...]     e.g. run-jmh.sh 'PolicyDecide.*mix' -p rules=1000
#
#   JMH_QUICK=1     quick smoke run for CI: -f 1 -wi 1 -w 500ms -i 1 -r 500ms
#   JMH_ARGS="..."  replaces the default run arguments (-f 1 -wi 2 -w 1s -i 3 -r 1s)
#   JMH_BUILD=0     skip the Maven build (use tests/target as it is)
#   MVN_OFFLINE=0   let Maven download (default: offline, -o)
#   JAVA=/path/java the JVM to benchmark on (default: java on PATH)
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
    default_args="-f 1 -wi 2 -w 1s -i 3 -r 1s"
fi
read -r -a run_args <<< "${JMH_ARGS:-$default_args}"

cd "$root"
if [[ "${JMH_BUILD:-1}" != 0 ]]; then
    echo "run-jmh: building (mvn ${offline[*]} -q install -DskipTests)" >&2
    mvn "${offline[@]}" -q install -DskipTests
fi
if [[ ! -s "$target/test-classes/META-INF/BenchmarkList" ]]; then
    echo "run-jmh: $target/test-classes/META-INF/BenchmarkList is missing: the JMH annotation processor did not run" >&2
    exit 1
fi

cp_file="$target/jmh-classpath.txt"
mvn "${offline[@]}" -q -pl tests dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >&2
classpath="$target/test-classes:$target/classes:$(cat "$cp_file")"

echo "run-jmh: java org.openjdk.jmh.Main $regex ${run_args[*]} $*" >&2
exec "$java" -cp "$classpath" org.openjdk.jmh.Main "$regex" "${run_args[@]}" "$@"
