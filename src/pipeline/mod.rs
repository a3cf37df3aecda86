//! The one place that knows the order of the stages. `build`, `check` and (later) `serve` call
//! these functions, never single stages.

use std::path::Path;

use crate::config::{self, Mode, Overrides};
use crate::diagnostic::Diagnostics;
use crate::error::Result;
use crate::output::Summary;
use crate::{artifact, failure, load, markdown, output, parse, render, theme};

/// What a build or check did.
#[derive(Debug)]
pub struct Report {
    /// Every problem found, sorted by file and position.
    pub diagnostics: Diagnostics,
    /// Pages built.
    pub pages: usize,
    /// Sections built.
    pub sections: usize,
    /// What was written; none for a check, or when the build failed.
    pub written: Option<Summary>,
}

impl Report {
    /// Whether the content has errors (exit code 1).
    pub fn failed(&self) -> bool {
        self.diagnostics.has_errors()
    }
}

/// Builds the site under `root` into its output folder. A build with errors writes nothing.
pub fn build(root: &Path, overrides: &Overrides) -> Result<Report> {
    run(
        root,
        &Overrides {
            mode: Mode::Build,
            ..overrides.clone()
        },
    )
}

/// Everything `build` checks, with nothing written.
pub fn check(root: &Path, overrides: &Overrides) -> Result<Report> {
    run(
        root,
        &Overrides {
            mode: Mode::Check,
            ..overrides.clone()
        },
    )
}

fn run(root: &Path, overrides: &Overrides) -> Result<Report> {
    let config = config::load(root, overrides)?;
    let mut diagnostics = Diagnostics::new();

    let (sources, ds) = load::sources(&config)?;
    diagnostics.extend(ds);
    let (mut theme, ds) = theme::load(&sources, &config.base_url);
    diagnostics.extend(ds);
    let (mut site, ds) = parse::site(&sources, &config);
    diagnostics.extend(ds);
    let (artifacts, ds) = artifact::registry(&sources.artifacts);
    diagnostics.extend(ds);
    site.artifacts = artifacts;
    let record_dirs = sources.artifacts.iter().map(|a| a.dir.clone()).collect();
    let cited = sources.content.iter().map(|c| &c.source);
    diagnostics.extend(artifact::in_content(cited, &site.artifacts, &record_dirs));
    // No run ledgers yet: every `runs` and `ledger_refs` entry of a report is unknown.
    let (failures, ds) = failure::reports(
        &sources.failures,
        &site.artifacts,
        &failure::NoLedgers,
        config.drafts,
    );
    diagnostics.extend(ds);
    site.failures = failures;
    if let Some(rev) = &overrides.since {
        diagnostics.extend(artifact::frozen_since(root, rev, &sources.artifacts)?);
    }

    let mut generated = render::generated_paths(&config, &site.artifacts);
    generated.extend(render::failure_paths(&site.failures, &theme));
    theme.set_globals(&render::context::globals(&config, &site.artifacts));
    let _ = theme.lookups.artifacts.set(
        site.artifacts
            .iter()
            .map(|a| a.id.clone())
            .zip(render::context::artifact_views(&site.artifacts))
            .collect(),
    );
    let _ = theme.lookups.urls.set(site.urls.clone());
    let files = site.files.keys().cloned();
    let _ = theme.lookups.files.set(
        files
            .chain(
                generated
                    .iter()
                    .map(|p| p.trim_start_matches('/').to_owned()),
            )
            .collect(),
    );

    let env = markdown::Env {
        config: &config,
        urls: &site.urls.clone(),
        shortcodes: &theme,
    };
    diagnostics.extend(markdown::site(&mut site, &env, &generated));

    let written = if config.mode == Mode::Check {
        diagnostics.extend(render::site(
            &site,
            &theme,
            &config,
            sources.theme_config.as_ref(),
            &|_| Ok(()),
        )?);
        None
    } else {
        let staging = output::stage(&config)?;
        diagnostics.extend(render::site(
            &site,
            &theme,
            &config,
            sources.theme_config.as_ref(),
            &|r| staging.write(r),
        )?);
        if diagnostics.has_errors() {
            // Dropping the staging folder removes it; the previous output stays as it was.
            None
        } else {
            Some(staging.commit()?)
        }
    };
    diagnostics.normalize();
    Ok(Report {
        diagnostics,
        pages: site.pages.len(),
        sections: site.sections.len(),
        written,
    })
}
