//! What the commands call, never single stages: `build` and `check` here, `serve` through
//! [`Session`]. All three run the stages through `driver::drive`, the one place that knows
//! their order; this module stages, seals and checks what a build writes.

mod cached;
mod driver;
mod kept;
mod session;

pub use session::{File, Files, Rebuild, Session, Update};

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::{self, Mode, Overrides, Signing};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::error::{Error, Result};
use crate::fingerprint::Assets;
use crate::model::{Body, Rendered};
use crate::output::{Summary, Written};
use crate::policy::{self, Naming};
use crate::{fingerprint, images, load, manifest, output, render, signing, theme, verify};

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
    /// The site digest of what was written (see `manifest`).
    pub site_digest: Option<String>,
    /// How many image variants the site has, and how many of them this build encoded (the
    /// rest were kept from an earlier build).
    pub images: (usize, usize),
    /// The git revision published records and ledgers were compared with: `--since`, or
    /// `HEAD` for a check in a git checkout.
    pub since: Option<String>,
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

/// Everything `build` checks, with nothing written (and the build cache neither read nor
/// written: a check makes every body).
pub fn check(root: &Path, overrides: &Overrides) -> Result<Report> {
    run(
        root,
        &Overrides {
            mode: Mode::Check,
            cache: crate::cache::Use::Off,
            ..overrides.clone()
        },
    )
}

fn run(root: &Path, overrides: &Overrides) -> Result<Report> {
    let mut state = None;
    let mut target = Write {
        overrides,
        signer: None,
        cache: None,
        opened: false,
        warnings: Diagnostics::new(),
        docs: None,
        listing: None,
        content: None,
        taken: None,
        inputs: None,
        found: None,
        digested: vec![],
    };
    if overrides.mode == Mode::Build {
        if let Some(report) = target.unchanged(root)? {
            return Ok(report);
        }
    }
    let fresh = driver::Fresh::Nothing;
    driver::drive(
        root,
        overrides,
        &mut state,
        driver::Reuse::Fresh(fresh),
        fresh,
        &mut target,
    )
}

/// Where a build writes its outputs: a staging folder, committed once every output is written
/// and sealed; nowhere for a check.
struct Write<'a> {
    overrides: &'a Overrides,
    /// The key a build signs with.
    signer: Option<signing::Signer>,
    /// The build cache (a build's, unless `--no-cache`).
    cache: Option<crate::cache::Cache>,
    /// Whether the cache was opened (once, before or by the first stage).
    opened: bool,
    /// The digests of the inputs, as the build found them before it began.
    inputs: Option<cached::Inputs>,
    /// The input files as found then, to tell whether one changed while the build ran.
    found: Option<cached::Found>,
    /// File digests made, to keep in the cache.
    digested: Vec<crate::cache::digests::Made>,
    /// The cache's warnings: ignored, or not written.
    warnings: Diagnostics,
    /// The output folder's listing, started with the build.
    listing: Option<output::Listing>,
    /// The content folder's listing, as the walk of the inputs made it, for the load stage.
    content: Option<(std::path::PathBuf, Vec<crate::fs::Listed>)>,
    /// The pages and sections as the markdown stage saw them (with a cache).
    docs: Option<Vec<cached::Doc>>,
    /// The bodies the markdown stage took from the cache, and those to keep in it.
    taken: Option<cached::Taken>,
}

impl driver::Target for Write<'_> {
    fn content_listing(&mut self) -> Option<(std::path::PathBuf, Vec<crate::fs::Listed>)> {
        self.content.take()
    }

    type Done = Report;
    const KEEPS: bool = false;

    fn configured(&mut self, config: &config::Config) -> Result<()> {
        // A bad key fails before anything is built.
        self.signer = match (config.mode, self.overrides.signing) {
            (Mode::Build, Signing::AsConfigured) => signing::signer(config)?,
            _ => None,
        };
        if let (Mode::Build, Some(dir), false) = (config.mode, &config.cache_dir, self.opened) {
            let (cache, warning) = crate::cache::open_in(&config.root, dir, config.cache_max_bytes);
            self.cache = cache;
            self.opened = true;
            self.warnings.extend(warning);
        }
        Ok(())
    }

    fn forget_bodies(&mut self, _: Option<&str>) {}

    fn digests(&self) -> crate::cache::Digests<'_> {
        crate::cache::Digests::new(self.cache.as_ref(), self.overrides.rehash)
    }

    fn digested(&mut self, made: crate::cache::digests::Made) {
        self.digested.push(made);
    }

    fn bodies(
        &mut self,
        _: driver::Previous<'_>,
        site: &mut crate::model::Site,
        config: &config::Config,
        theme: &theme::Theme,
        assets: &Assets,
        generated: &[String],
    ) -> Diagnostics {
        if self.cache.is_some() {
            self.docs = Some(cached::docs(site));
        }
        let (diagnostics, taken) = cached::bodies(
            site,
            config,
            theme,
            assets,
            generated,
            self.cache.as_ref(),
            self.docs.as_deref(),
        );
        self.taken = taken;
        diagnostics
    }

    fn search_entries(
        &mut self,
    ) -> std::collections::HashMap<String, std::sync::Arc<render::search::Entry>> {
        self.taken
            .as_mut()
            .map(cached::Taken::take_entries)
            .unwrap_or_default()
    }

    fn using(&self, _: &dyn Fn(&crate::theme::Used) -> bool) -> std::collections::HashSet<String> {
        std::collections::HashSet::new()
    }

    fn has_output(&self, _: &str) -> bool {
        false
    }

    fn render(
        &mut self,
        state: &driver::State,
        rendering: driver::Rendering<'_>,
    ) -> Result<Report> {
        let config = &state.config;
        let assets = &state.assets;
        let mut diagnostics = rendering.diagnostics;
        diagnostics.extend(std::mem::take(&mut self.warnings));
        // What the last build into this folder made, and whether it may be kept.
        let inputs = self.inputs;
        let record = self
            .cache
            .as_ref()
            .and_then(|c| cached::record(c, &config.output_dir));
        // A theme that resizes images asks for them while its pages render, and a kept page
        // asks for nothing: its images would be missing from the new folder. Such a theme's
        // pages are all rendered again.
        let keepable = match (&record, inputs, &self.docs) {
            _ if state.theme.calls_resize_image() => None,
            (Some(record), Some(inputs), Some(docs)) => {
                cached::keepable(record, &state.site, docs, inputs.rest)
            }
            _ => None,
        };
        // What each output rendered looked up, for the next build.
        let used = std::sync::Mutex::new(BTreeMap::new());
        let render = |wanted: &(dyn Fn(&str, crate::kind::Made) -> bool + Sync),
                      sink: &(dyn Fn(Rendered) -> Result<()> + Sync)|
         -> Result<Diagnostics> {
            let results = render::some(
                &state.site,
                &state.theme,
                config,
                assets,
                &state.views,
                &state.plan,
                wanted,
                &|made| match made.body {
                    Ok(body) => {
                        lock(&used).insert(made.path.clone(), made.used);
                        sink(Rendered {
                            path: made.path,
                            body,
                        })
                        .map(|()| None)
                    }
                    Err(d) => Ok(d),
                },
            );
            let mut diagnostics = state.plan.diagnostics.clone();
            for r in results {
                if let Some(d) = r? {
                    diagnostics.push(d);
                }
            }
            Ok(diagnostics)
        };
        let (written, site_digest) = if config.mode == Mode::Check {
            diagnostics.extend(render(rendering.wanted, &|_| Ok(()))?);
            (None, None)
        } else {
            let staging = output::stage(config, self.listing.take())?;
            let kept = std::sync::Mutex::new(BTreeMap::new());
            // An output the last build made from what this one would make it from is kept,
            // when its file is in the folder as that build left it.
            let wanted = |path: &str, made: crate::kind::Made| {
                if !(rendering.wanted)(path, made) {
                    return false;
                }
                let Some(k) = keepable.as_ref().and_then(|keepable| keepable(path, made)) else {
                    return true;
                };
                if staging.file_id(path) != Some(k.file) {
                    return true;
                }
                staging.keep(path.to_owned(), k.written.clone(), k.file);
                lock(&kept).insert(path.to_owned(), k.used.clone());
                false
            };
            diagnostics.extend(render(&wanted, &|r| staging.write(r))?);
            let (resized, clashes) = resized_images(state)?;
            diagnostics.extend(clashes);
            for r in resized {
                staging.write(r)?;
            }
            let digest = if diagnostics.has_errors() {
                None
            } else {
                seal(
                    staging.written(),
                    &|r| staging.write(r),
                    assets,
                    config,
                    self.signer.as_ref(),
                    &mut diagnostics,
                )?
            };
            match digest {
                // Dropping the staging folder removes it; the previous output stays as it was.
                None => (None, None),
                Some(d) => {
                    let mut made = std::mem::take(&mut *lock(&used));
                    made.extend(std::mem::take(&mut *lock(&kept)));
                    let clean = diagnostics.is_empty() && self.signer.is_none();
                    let record = self.record(config, &staging, made);
                    let summary = staging.commit()?;
                    if let (Some(cache), Some((inputs, docs, outputs, sealed))) =
                        (&mut self.cache, record)
                    {
                        let done = clean.then(|| cached::Done {
                            whole: inputs.whole,
                            pages: state.site.pages.len() as u64,
                            sections: state.site.sections.len() as u64,
                            site_digest: d.clone(),
                            files: summary.files as u64,
                            bytes: summary.bytes,
                            variants: state.assets.images.variants() as u64,
                            sealed,
                        });
                        cached::keep_record(
                            cache,
                            &config.output_dir,
                            inputs.rest,
                            &docs,
                            &outputs,
                            done.as_ref(),
                        );
                    }
                    (Some(summary), Some(d))
                }
            }
        };
        if let Some(cache) = &mut self.cache {
            if let Some(taken) = self.taken.take() {
                taken.keep(&state.site, Some(&state.views), cache);
            }
            for made in std::mem::take(&mut self.digested) {
                made.keep(cache);
            }
            // What was made is kept whether the build succeeded or not: it is keyed by what
            // it was made from. A cache that cannot be written costs the next build time only.
            if let Err(e) = cache.save() {
                diagnostics.push(
                    Diagnostic::warning(format!("the build cache could not be written: {e}"))
                        .help("the next build makes everything again"),
                );
            }
        }
        diagnostics.normalize();
        Ok(Report {
            diagnostics,
            pages: state.site.pages.len(),
            sections: state.site.sections.len(),
            written,
            site_digest,
            images: (state.assets.images.variants(), state.assets.images.encoded),
            since: frozen_against(self.overrides, config),
        })
    }
}

/// What a build read and wrote, for the next one.
type Recorded = (
    cached::Inputs,
    Vec<cached::Doc>,
    BTreeMap<String, cached::Kept>,
    Vec<(String, crate::fs::FileId)>,
);

impl Write<'_> {
    /// The report of the last build into the same folder, when it reported no problem, its
    /// inputs are as they were, and the folder is as it left it: nothing is built again. The
    /// cache is opened here (and the configuration read, as the first stage reads it again).
    fn unchanged(&mut self, root: &Path) -> Result<Option<Report>> {
        let mut config = config::load(root, self.overrides)?;
        self.listing = Some(output::Listing::start(&config.output_dir));
        config.provenance = crate::provenance::of(root);
        driver::Target::configured(self, &config)?;
        let Some(cache) = &self.cache else {
            return Ok(None);
        };
        let digests = crate::cache::Digests::new(Some(cache), self.overrides.rehash);
        let walked = cached::inputs(&config, &digests);
        self.inputs = walked.as_ref().map(|w| w.inputs);
        if let Some(walked) = walked {
            self.found = walked.found;
            self.content = walked.content;
        }
        self.digested.push(digests.made());
        let record = cached::record(cache, &config.output_dir);
        let Some((record, done)) = record.as_ref().and_then(|r| Some((r, r.done.as_ref()?))) else {
            return Ok(None);
        };
        let same = self.inputs.is_some_and(|i| i.whole == done.whole)
            && self.signer.is_none()
            && self.overrides.since.is_none()
            && self.warnings.is_empty()
            && self
                .listing
                .as_mut()
                .filter(|l| l.dir() == config.output_dir)
                .and_then(output::Listing::held)
                .is_some_and(|held| record.left_as_it_was(&config.output_dir, held, done));
        if !same {
            return Ok(None);
        }
        let report = Report {
            diagnostics: Diagnostics::new(),
            pages: usize::try_from(done.pages).unwrap_or(usize::MAX),
            sections: usize::try_from(done.sections).unwrap_or(usize::MAX),
            written: Some(Summary {
                files: usize::try_from(done.files).unwrap_or(usize::MAX),
                bytes: done.bytes,
                unchanged: usize::try_from(done.files).unwrap_or(usize::MAX),
            }),
            site_digest: Some(done.site_digest.clone()),
            since: None,
            images: (usize::try_from(done.variants).unwrap_or(usize::MAX), 0),
        };
        if let Some(cache) = &mut self.cache {
            for made in std::mem::take(&mut self.digested) {
                made.keep(cache);
            }
            // Digests the cache did not hold yet; a cache that cannot be written only costs
            // the next build time, as after a build.
            let _ = cache.save();
        }
        Ok(Some(report))
    }

    /// What to record of this build: its inputs (none when they changed while it ran: then
    /// nothing is recorded), its pages and sections, its outputs and the files sealing them.
    fn record(
        &mut self,
        config: &config::Config,
        staging: &output::Staging,
        used: BTreeMap<String, theme::Used>,
    ) -> Option<Recorded> {
        let cache = self.cache.as_ref()?;
        let before = self.inputs?;
        let docs = self.docs.take()?;
        // The inputs as they were before: every file found still as it was (a file added
        // since changes the next build's digests), else their digests taken again.
        let still = if let Some(found) = self.found.take() {
            found.still()
        } else {
            let digests = crate::cache::Digests::new(Some(cache), self.overrides.rehash);
            let after = cached::inputs(config, &digests).map(|w| w.inputs);
            self.digested.push(digests.made());
            after == Some(before)
        };
        if !still {
            return None;
        }
        let outputs = cached::outputs(staging, used);
        let sealed = staging
            .written()
            .into_keys()
            .filter(|p| !outputs.contains_key(p))
            .map(|p| Some((staging.file_id(&p)?, p)))
            .map(|f| f.map(|(id, p)| (p, id)))
            .collect::<Option<Vec<_>>>()?;
        Some((before, docs, outputs, sealed))
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The revision published records are compared with: the one `--since` names, else, for a
/// check in a git checkout, `HEAD`, so an uncommitted edit of a published record fails the
/// check without any flag. A build compares with nothing unless asked.
fn frozen_against(overrides: &Overrides, config: &config::Config) -> Option<String> {
    match (&overrides.since, config.mode) {
        (Some(rev), _) => Some(rev.clone()),
        (None, Mode::Check) if config.provenance.commit.is_some() => Some("HEAD".to_owned()),
        _ => None,
    }
}

/// The fingerprinted static files, the generated syntax stylesheet among them, and the
/// content's images with their resized variants.
fn static_files(
    sources: &load::SourceSet,
    site: &crate::model::Site,
    config: &config::Config,
    diagnostics: &mut Diagnostics,
) -> Result<Assets> {
    let syntax_css = theme::syntax_css(config, sources.theme_config.as_ref(), diagnostics);
    let images = images::process(
        &image_sources(sources, site),
        &config.images,
        &image_cache(config),
    )?;
    let mut generated = vec![(theme::SYNTAX_CSS.to_owned(), syntax_css.into_bytes())];
    generated.extend(images.files);
    let (mut assets, ds) = fingerprint::apply(&sources.statics, generated, &config.build.unhashed)?;
    assets.images = images.images;
    diagnostics.extend(ds);
    Ok(assets)
}

/// The images among the content's files the site publishes, with where each is published.
fn image_sources(sources: &load::SourceSet, site: &crate::model::Site) -> Vec<images::Source> {
    let published: std::collections::HashMap<&load::Origin, &str> = site
        .files
        .iter()
        .map(|(out, origin)| (origin, out.as_str()))
        .collect();
    sources
        .content_assets
        .iter()
        .filter(|a| images::is_image(&a.rel))
        .filter_map(|a| {
            let output = published.get(&a.origin)?;
            Some(images::Source {
                rel: a.rel.clone(),
                output: (*output).to_owned(),
                origin: a.origin.clone(),
            })
        })
        .collect()
}

/// The images `resize_image` calls asked for while the pages rendered, encoded, as outputs;
/// one that would be written over a planned output is a problem instead.
fn resized_images(state: &driver::State) -> Result<(Vec<Rendered>, Diagnostics)> {
    let planned: std::collections::HashSet<&str> =
        state.plan.planned().map(|(path, _)| path).collect();
    let mut diagnostics = Diagnostics::new();
    let requests: Vec<images::resize::Request> = state
        .theme
        .lookups
        .take_resized()
        .into_values()
        .filter(|r| {
            let clash = planned.contains(r.path.as_str());
            if clash {
                diagnostics.push(Diagnostic::error(format!(
                    "`resize_image` would write `{}` over another output of the site",
                    r.path
                )));
            }
            !clash
        })
        .collect();
    let (files, _) =
        images::resize::encode(&requests, &state.config.images, &image_cache(&state.config))?;
    let rendered = files
        .into_iter()
        .map(|(path, bytes)| Rendered {
            path,
            body: Body::Bytes(bytes),
        })
        .collect();
    Ok((rendered, diagnostics))
}

/// Where encoded variants are kept: in the site, unless that folder leads out of it (then
/// nowhere); a check only reads them.
fn image_cache(config: &config::Config) -> images::Cache {
    let dir = config.root.join(images::CACHE_DIR);
    let inside = |dir: &Path| {
        // A folder not made yet is judged by the nearest one that is.
        let mut at = Some(dir);
        while let Some(d) = at {
            if std::fs::symlink_metadata(d).is_ok() {
                return matches!(
                    crate::fs::follow(&config.real_root, d),
                    crate::fs::Followed::Inside(_)
                );
            }
            at = d.parent();
        }
        false
    };
    // `--no-cache` keeps nothing, image variants included (a check has no build cache either,
    // and reads the variants kept).
    let no_cache = config.cache_dir.is_none() && config.mode != Mode::Check;
    if no_cache || !inside(&dir) {
        return images::Cache::None;
    }
    match config.mode {
        Mode::Check => images::Cache::ReadOnly(dir),
        Mode::Build | Mode::Serve => images::Cache::Kept(dir),
    }
}

/// The theme, loaded and told what its functions look up (assets, records, ledgers, URLs,
/// files), and the paths the build generates besides documents and files.
fn theme_for(
    sources: &load::SourceSet,
    config: &config::Config,
    site: &crate::model::Site,
    assets: &Assets,
    diagnostics: &mut Diagnostics,
) -> (theme::Theme, Vec<String>) {
    let (mut theme, ds) = theme::load(sources, &config.base_url);
    diagnostics.extend(ds);
    let _ = theme.lookups.assets.set(
        assets
            .iter()
            .map(|(k, a)| (k.clone(), (a.url(), a.integrity.clone())))
            .collect(),
    );

    let generated = render::link_targets(config, site, &theme);
    let artifacts = site.records.artifact_views();
    let views: Vec<_> = artifacts.iter().map(|(_, v)| v.clone()).collect();
    theme.set_globals(&render::context::globals(config, site, &views));
    let _ = theme.lookups.artifacts.set(artifacts.into_iter().collect());
    let (names, view) = site.records.ledger_lookup();
    let _ = theme
        .lookups
        .ledgers
        .set(theme::LedgerLookup { names, view });
    let _ = theme.lookups.urls.set(site.urls.clone());
    let _ = theme
        .lookups
        .images
        .set((assets.images.clone(), config.images.clone()));
    let files = site.files.keys().cloned();
    let _ = theme.lookups.files.set(
        files
            .chain(
                generated
                    .iter()
                    .map(|p| crate::url::in_output(p).to_owned()),
            )
            .collect(),
    );
    (theme, generated)
}

/// Writes what describes the rendered files, once they are all written: `_headers` from the
/// serving policy, then `site-manifest.json` with the digest of every other file, and its
/// signature when a key is configured. Returns the site digest, or none when a rendered file
/// took one of those names.
fn seal(
    mut files: BTreeMap<String, Written>,
    put: &dyn Fn(Rendered) -> Result<()>,
    assets: &Assets,
    config: &config::Config,
    signer: Option<&signing::Signer>,
    diagnostics: &mut Diagnostics,
) -> Result<Option<String>> {
    for reserved in [HEADERS, manifest::FILE, manifest::SIGNATURE] {
        if files.contains_key(reserved) {
            diagnostics.push(Diagnostic::error(format!(
                "a file of the site would be written over the generated `{reserved}`"
            )));
        }
    }
    if diagnostics.has_errors() {
        return Ok(None);
    }
    let fingerprinted = assets.output_paths();
    let naming = |path: &str| {
        if fingerprinted.contains(path) {
            Naming::Fingerprinted
        } else {
            Naming::Stable
        }
    };
    let mut inline = policy::Inline::default();
    for w in files.values() {
        inline.extend(w.inline.clone());
    }
    let security = policy::security_headers(
        &inline,
        &policy::FormTargets::contact(&config.contact.action),
    );
    // Hosts do not serve `_redirects` (nor `_headers`); the manifest is served.
    let served = files
        .keys()
        .map(String::as_str)
        .filter(|p| *p != "_redirects")
        // The signature's rule is there signed or not, so signing changes no other file.
        .chain([manifest::FILE, manifest::SIGNATURE]);
    let headers = policy::headers_file(served.map(|p| (p, policy::file(p, naming(p)))), &security);
    files.insert(
        HEADERS.to_owned(),
        output::describe(HEADERS, headers.as_bytes()),
    );
    put(Rendered {
        path: HEADERS.to_owned(),
        body: Body::Bytes(headers.into_bytes()),
    })?;
    let statement =
        manifest::statement(&files, &fingerprinted, &config.provenance, &config.base_url);
    let json = statement.to_json();
    if let Some(signer) = signer {
        put(Rendered {
            path: manifest::SIGNATURE.to_owned(),
            body: Body::Bytes(signer.sign(&json, &statement.predicate.site_digest)?),
        })?;
    }
    put(Rendered {
        path: manifest::FILE.to_owned(),
        body: Body::Bytes(json),
    })?;
    Ok(Some(statement.predicate.site_digest))
}

/// The headers file Netlify and Cloudflare Pages read.
const HEADERS: &str = "_headers";

/// What `verify --rebuild` found: the fresh build's report (its diagnostics, when the sources
/// do not build) and, when it built, how the given site differs from it.
#[derive(Debug)]
pub struct Rebuilt {
    /// The fresh build.
    pub build: Report,
    /// The comparison; none when the sources did not build.
    pub outcome: Option<verify::Outcome>,
}

/// Builds the sources under `root` into a temporary folder and compares the site in `dir` with
/// what it wrote, the manifest included (unsigned: a signature is checked with `--key`, and
/// minisign's differ from one signing to the next).
pub fn rebuild_and_verify(root: &Path, dir: &Path, overrides: &Overrides) -> Result<Rebuilt> {
    let temp = tempfile::Builder::new()
        .prefix("ancapex-verify-")
        .tempdir()
        .map_err(|source| Error::Io {
            action: "could not create a temporary folder in",
            path: std::env::temp_dir(),
            source,
        })?;
    let out = temp.path().join("site");
    let build = self::build(
        root,
        &Overrides {
            output_dir: Some(out.clone()),
            signing: Signing::Skip,
            cache: crate::cache::Use::Off,
            ..overrides.clone()
        },
    )?;
    let outcome = if build.failed() {
        None
    } else {
        Some(verify::against_build(dir, &out)?)
    };
    Ok(Rebuilt { build, outcome })
}
