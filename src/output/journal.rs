//! Moving an update's files into the output so that it can be undone: every file or folder
//! a step replaces is first moved aside, into the staging folder, and when a step fails every
//! step before it is undone, last first. A build killed part-way leaves a mix of old and new
//! files (and waiting ones under their hidden names), which the next build brings each to what
//! it must be. Should undoing fail too, what could not be put back is still in the staging
//! folder, which is then left as it is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::Written;
use crate::error::{Error, Result};
use crate::fs::{Kind, io};

/// How a file or folder is moved (`std::fs::rename`; tests make it fail).
pub(super) type Rename<'a> = &'a dyn Fn(&Path, &Path) -> std::io::Result<()>;

/// An update that failed.
#[derive(Debug)]
pub(super) struct Failed {
    pub(super) error: Error,
    /// Whether every step was undone; else what was not is in the staging folder still.
    pub(super) undone: bool,
}

/// Brings the output at `target`, which held `held` when the build began, to exactly the
/// `written` files: each file `waiting` (by output path) is moved into place, and what no
/// longer belongs is removed, into `staging`. On failure the output is put back as it was.
pub(super) fn update(
    target: &Path,
    staging: &Path,
    waiting: HashMap<String, PathBuf>,
    written: &BTreeMap<String, Written>,
    held: &[(String, Kind)],
    rename: Rename<'_>,
) -> std::result::Result<(), Failed> {
    // The folders holding a file this build wrote: they stay.
    let mut holding = HashSet::new();
    for path in written.keys() {
        let mut at = path.as_str();
        while let Some(i) = at.rfind('/') {
            at = &at[..i];
            if !holding.insert(at) {
                break;
            }
        }
    }
    let mut waiting: Vec<_> = waiting.into_iter().collect();
    waiting.sort_unstable();
    let mut journal = Journal {
        staging,
        rename,
        steps: vec![],
        folders: HashSet::new(),
    };
    let moved = (|| {
        for (path, from) in &waiting {
            journal.place(target, path, from)?;
        }
        for (path, kind) in held {
            // (A file where this build made a folder was moved aside as it placed one.)
            if *kind == Kind::File
                && !written.contains_key(path)
                && !holding.contains(path.as_str())
            {
                journal.set_aside(&target.join(path), true)?;
            }
        }
        Ok(())
    })();
    if let Err(error) = moved {
        let undone = journal.undo();
        return Err(Failed { error, undone });
    }
    // Folders left empty, deepest first; fails, harmlessly, for one that still holds something.
    for (path, kind) in held.iter().rev() {
        if *kind == Kind::Folder && !holding.contains(path.as_str()) {
            let _ = std::fs::remove_dir(target.join(path));
        }
    }
    Ok(())
}

/// One step taken, with what undoes it.
enum Step {
    /// What was at `from` was moved to `to`: a waiting file to its place, or what was in the
    /// way aside.
    Moved { from: PathBuf, to: PathBuf },
    /// This folder was made.
    Made(PathBuf),
}

struct Journal<'a> {
    staging: &'a Path,
    rename: Rename<'a>,
    steps: Vec<Step>,
    /// Folders of the output known to be there, as folders.
    folders: HashSet<PathBuf>,
}

impl Journal<'_> {
    /// Moves the waiting file `from` to `path` in `target`, making its folders, and setting
    /// aside whatever stands in the way: a file where a folder must be, the file it replaces,
    /// a folder where it must be.
    fn place(&mut self, target: &Path, path: &str, from: &Path) -> Result<()> {
        let mut at = target.to_path_buf();
        let mut parts = path.split('/').peekable();
        while let Some(part) = parts.next() {
            at.push(part);
            let last = parts.peek().is_none();
            if !last && self.folders.contains(&at) {
                continue;
            }
            match std::fs::symlink_metadata(&at) {
                Ok(m) if !last && m.is_dir() => {
                    self.folders.insert(at.clone());
                    continue;
                }
                Ok(_) => self.set_aside(&at, false)?,
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(io("could not read", &at)(e)),
            }
            if !last {
                std::fs::create_dir(&at).map_err(io("could not create directory", &at))?;
                self.steps.push(Step::Made(at.clone()));
                self.folders.insert(at.clone());
            }
        }
        (self.rename)(from, &at).map_err(io("could not move into place", &at))?;
        self.steps.push(Step::Moved {
            from: from.to_path_buf(),
            to: at,
        });
        Ok(())
    }

    /// Moves what is at `path` into the staging folder; with `if_there`, nothing when there is
    /// nothing (or it went with a folder set aside before it).
    fn set_aside(&mut self, path: &Path, if_there: bool) -> Result<()> {
        let to = self.staging.join(format!("old-{}", self.steps.len()));
        match (self.rename)(path, &to) {
            Ok(()) => {}
            Err(e)
                if if_there
                    && matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) =>
            {
                return Ok(());
            }
            Err(e) => return Err(io("could not move aside", path)(e)),
        }
        self.steps.push(Step::Moved {
            from: path.to_path_buf(),
            to,
        });
        Ok(())
    }

    /// Undoes every step, last first; whether all were.
    fn undo(self) -> bool {
        let mut undone = true;
        for step in self.steps.into_iter().rev() {
            undone &= match step {
                Step::Moved { from, to } => std::fs::rename(to, from).is_ok(),
                Step::Made(folder) => {
                    // (A folder that could not be removed holds nothing of the last output.)
                    let _ = std::fs::remove_dir(folder);
                    true
                }
            };
        }
        undone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file (with its bytes) and folder (none) under `dir`.
    fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
        crate::fs::list_tree(dir, None)
            .unwrap()
            .into_iter()
            .map(|e| {
                let bytes = (e.kind == Kind::File).then(|| std::fs::read(&e.path).unwrap());
                (crate::fs::rel_path(dir, &e.path), bytes)
            })
            .collect()
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// An output the last build left, and what this one wrote: a changed file, an unchanged
    /// one, a file that becomes a folder, a folder that becomes a file, a new deep file, and
    /// files (one deep) no longer made.
    /// What `update` is given.
    struct Case {
        target: PathBuf,
        staging: PathBuf,
        waiting: HashMap<String, PathBuf>,
        written: BTreeMap<String, Written>,
        held: Vec<(String, Kind)>,
    }

    fn setup(root: &Path) -> Case {
        let target = root.join("public");
        let staging = root.join("staging");
        for (rel, text) in [
            ("a/index.html", "old a"),
            ("b/index.html", "same b"),
            ("c", "c was a file"),
            ("d/x", "d was a folder"),
            ("e/index.html", "stale e"),
            ("f/g/h.txt", "stale h"),
        ] {
            write(&target, rel, text);
        }
        let held = super::super::files_and_folders(&target).unwrap();
        let mut waiting = HashMap::new();
        let mut written = BTreeMap::new();
        for (i, (rel, text)) in [
            ("a/index.html", Some("new a")),
            ("b/index.html", None),
            ("c/index.html", Some("new c")),
            ("d", Some("new d")),
            ("n/m/index.html", Some("new deep")),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(text) = text {
                let file = format!("new-{i}");
                write(&staging, &file, text);
                waiting.insert(rel.to_owned(), staging.join(file));
            }
            written.insert(rel.to_owned(), super::super::describe(rel, b""));
        }
        Case {
            target,
            staging,
            waiting,
            written,
            held,
        }
    }

    impl Case {
        fn update(self, rename: Rename<'_>) -> std::result::Result<(), Failed> {
            update(
                &self.target,
                &self.staging,
                self.waiting,
                &self.written,
                &self.held,
                rename,
            )
        }
    }

    #[test]
    fn an_update_brings_the_output_to_what_was_written_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        let case = setup(root.path());
        let target = case.target.clone();
        case.update(&|a, b| std::fs::rename(a, b)).unwrap();
        let got = tree(&target);
        let text = |s: &str| Some(s.as_bytes().to_vec());
        let expected: BTreeMap<String, Option<Vec<u8>>> = [
            ("a", None),
            ("a/index.html", text("new a")),
            ("b", None),
            ("b/index.html", text("same b")),
            ("c", None),
            ("c/index.html", text("new c")),
            ("d", text("new d")),
            ("n", None),
            ("n/m", None),
            ("n/m/index.html", text("new deep")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn an_update_failing_at_any_step_leaves_the_output_as_it_was() {
        let mut steps = 0;
        for fail_at in 0.. {
            let root = tempfile::tempdir().unwrap();
            let case = setup(root.path());
            let (target, staging) = (case.target.clone(), case.staging.clone());
            let before = tree(&target);
            let waiting_before = tree(&staging);
            let calls = std::cell::Cell::new(0);
            let rename = |a: &Path, b: &Path| {
                calls.set(calls.get() + 1);
                if calls.get() > fail_at {
                    return Err(std::io::Error::other("injected"));
                }
                std::fs::rename(a, b)
            };
            match case.update(&rename) {
                Ok(()) => {
                    steps = fail_at;
                    break;
                }
                Err(e) => {
                    assert!(e.undone, "failing at move {fail_at}");
                    assert!(format!("{:?}", e.error).contains("injected"), "{e:?}");
                    assert_eq!(tree(&target), before, "failing at move {fail_at}");
                    assert_eq!(tree(&staging), waiting_before, "failing at move {fail_at}");
                }
            }
        }
        // Moves tried: four files placed, three things in their way set aside, and three stale
        // files (one already gone with the folder it was in).
        assert_eq!(steps, 10);
    }

    #[test]
    fn an_update_that_cannot_be_undone_says_so_and_leaves_what_it_set_aside() {
        let root = tempfile::tempdir().unwrap();
        let case = setup(root.path());
        let staging = case.staging.clone();
        let calls = std::cell::Cell::new(0);
        // The first move sets `a/index.html` aside; the second fails, and the first cannot be
        // undone, for something took its place meanwhile.
        let target = case.target.clone();
        let rename = |a: &Path, b: &Path| {
            calls.set(calls.get() + 1);
            if calls.get() == 2 {
                std::fs::create_dir(target.join("a/index.html/in-the-way")).ok();
                return Err(std::io::Error::other("injected"));
            }
            std::fs::rename(a, b)?;
            if calls.get() == 1 {
                std::fs::create_dir_all(target.join("a/index.html/in-the-way")).unwrap();
            }
            Ok(())
        };
        let failed = case.update(&rename).unwrap_err();
        assert!(!failed.undone);
        assert!(
            tree(&staging)
                .values()
                .any(|bytes| bytes.as_deref() == Some(b"old a".as_slice())),
            "the old file is not in the staging folder"
        );
    }
}
