//! The GitHub Actions workflows the repository ships: pull requests are checked (read-only,
//! no secrets), pushes to main are built, checked and published (credentials from the
//! repository's secrets, the purge list kept as an artifact), and neither compiles the tool
//! from nothing on every run. The README shows the publish workflow as it is.

use crate::support::manifest_dir;

fn workflow(name: &str) -> (String, serde_yaml_ng::Value) {
    let path = manifest_dir().join(".github/workflows").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("could not read `{}`: {e}", path.display()));
    let yaml = serde_yaml_ng::from_str(&text).unwrap();
    (text, yaml)
}

/// Every step of every job.
fn steps(yaml: &serde_yaml_ng::Value) -> Vec<&serde_yaml_ng::Value> {
    yaml["jobs"]
        .as_mapping()
        .unwrap()
        .values()
        .flat_map(|job| job["steps"].as_sequence().unwrap())
        .collect()
}

fn uses<'a>(steps: &[&'a serde_yaml_ng::Value], action: &str) -> Option<&'a serde_yaml_ng::Value> {
    steps.iter().copied().find(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.split('@').next() == Some(action))
    })
}

fn runs<'a>(steps: &[&'a serde_yaml_ng::Value], command: &str) -> Option<&'a serde_yaml_ng::Value> {
    steps
        .iter()
        .copied()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains(command)))
}

#[test]
fn pull_requests_are_checked_read_only_without_secrets_and_without_a_cold_build() {
    let (text, yaml) = workflow("check.yml");
    assert!(yaml["on"]["pull_request"].is_mapping() || yaml["on"]["pull_request"].is_null());
    // pull_request_target would run a contributor's code with the base repository's secrets.
    assert!(yaml["on"].get("pull_request_target").is_none(), "{text}");
    assert_eq!(yaml["permissions"]["contents"], "read", "{text}");
    assert_eq!(yaml["permissions"].as_mapping().unwrap().len(), 1, "{text}");
    assert!(
        !text.contains("secrets."),
        "the check workflow gets no secrets"
    );
    let steps = steps(&yaml);
    assert!(uses(&steps, "Swatinem/rust-cache").is_some(), "{text}");
    assert!(
        runs(&steps, " publish").is_none(),
        "a pull request publishes nothing"
    );
    let check = runs(&steps, " check --format github").expect("a check step");
    assert!(
        check["run"]
            .as_str()
            .unwrap()
            .contains("--since \"origin/${{ github.base_ref }}\""),
        "{text}"
    );
    assert_eq!(
        uses(&steps, "actions/checkout").unwrap()["with"]["fetch-depth"],
        0
    );
}

#[test]
fn pushes_to_main_are_built_checked_and_published_from_the_secrets() {
    let (text, yaml) = workflow("publish.yml");
    let branches = yaml["on"]["push"]["branches"].as_sequence().unwrap();
    assert_eq!(branches, &[serde_yaml_ng::Value::from("main")], "{text}");
    assert!(yaml["concurrency"].is_string() || yaml["concurrency"].is_mapping());
    assert_eq!(yaml["permissions"]["contents"], "read", "{text}");
    let steps = steps(&yaml);
    assert!(uses(&steps, "Swatinem/rust-cache").is_some(), "{text}");
    runs(&steps, "cargo build --release --locked").expect("a release build");
    runs(&steps, " check --format github").expect("a check");
    let build = runs(&steps, "ancapex build").expect("a build");
    assert_eq!(
        build["env"]["ANCAPEX_SIGNING_KEY"],
        "${{ secrets.ANCAPEX_SIGNING_KEY }}"
    );
    runs(&steps, " verify public").expect("the built site verified");
    let publish = runs(&steps, " publish --to ").expect("a publish");
    let command = publish["run"].as_str().unwrap();
    assert!(
        command.contains("--invalidation-list purge.txt"),
        "{command}"
    );
    for secret in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        assert_eq!(
            publish["env"][secret],
            format!("${{{{ secrets.{secret} }}}}").as_str(),
            "{text}"
        );
    }
    let kept = uses(&steps, "actions/upload-artifact").expect("the purge list kept");
    assert_eq!(kept["with"]["path"], "purge.txt");
    // Documented for the three kinds of target.
    for target in ["AWS S3", "Cloudflare R2", "A directory"] {
        assert!(text.contains(target), "no word on {target} in publish.yml");
    }
}

#[test]
fn the_readme_shows_the_publish_workflow_as_it_is() {
    let (text, _) = workflow("publish.yml");
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```yaml\n{text}```\n")),
        "README.md's copy of .github/workflows/publish.yml differs from the file"
    );
}

#[test]
fn both_workflows_keep_the_build_cache_keyed_by_the_lockfile_and_the_tool_version() {
    for name in ["check.yml", "publish.yml"] {
        let (text, yaml) = workflow(name);
        let steps = steps(&yaml);
        let cache = uses(&steps, "actions/cache").unwrap_or_else(|| panic!("no cache in {name}"));
        assert_eq!(cache["with"]["path"], ".ancapex/cache", "{text}");
        let key = cache["with"]["key"].as_str().unwrap();
        let restore = cache["with"]["restore-keys"].as_str().unwrap();
        for part in ["hashFiles('Cargo.lock')", "steps.tool.outputs.version"] {
            assert!(
                key.contains(part) && restore.contains(part),
                "{name}: {key}"
            );
        }
        // Restored before the build that uses it.
        let at = |s: &serde_yaml_ng::Value| steps.iter().position(|t| *t == s).unwrap();
        let build = runs(&steps, "ancapex build").expect("a build");
        assert!(at(cache) < at(build), "{text}");
    }
}
