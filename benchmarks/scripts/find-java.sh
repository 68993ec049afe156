# Sourced by the benchmark scripts: sets JAVA to a JDK >= 25 (the release the build compiles for;
# the default java may be 17): JAVA_HOME first, then the newest under /usr/lib/jvm, then the PATH.
# Exits with a one-line reason, prefixed by $1, when there is none.
find_java() {
  JAVA=""
  local j v
  for j in "${JAVA_HOME:-/nonexistent}/bin/java" $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -V -r) \
      "$(command -v java || true)"; do
    [ -x "$j" ] || continue
    v="$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1)"
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then JAVA="$j"; return 0; fi
  done
  echo "$1: no JDK >= 25 found (set JAVA_HOME)" >&2
  exit 1
}
