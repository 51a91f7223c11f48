# RadFlow front door. `make run` starts RadFlow on embedded defaults; `make test` runs every test.
MVN ?= mvn -B
JAR := deploy/target/radflow/lib/.built

.PHONY: run test setup build clean bench

setup:
	@bash scripts/setup.sh

# Installs RadFlow into the local Maven repository: module-api and module-testkit with sources and javadoc jars,
# and what they need, for module projects (docs/examples/module-template).
build: setup
	$(MVN) -q -DskipTests install

# Build only when a source or POM is newer than the server jar.
$(JAR): $(shell find pom.xml module-api module-testkit dicom listener inference orchestrator testdata testkit modules deploy -name pom.xml -o -path '*/src/main/*' -type f 2>/dev/null)
	@bash scripts/setup.sh
	$(MVN) -q -DskipTests install
	@touch $(JAR)

run: $(JAR)
	bin/radflow serve --demo

test: setup
	$(MVN) verify

bench: $(JAR)
	bash bench/ingest.sh

clean:
	$(MVN) -q clean
