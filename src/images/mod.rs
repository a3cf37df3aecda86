//! Images beside the content: every raster image in `content/` is measured and resized to the
//! configured widths, as WebP and in its own format (PNG, JPEG), for the markdown stage to show
//! with `srcset`, `width` and `height`; an SVG passes through, sanitised of scripts (`svg`).
//! What an image cannot be (not an image, truncated, too many pixels, an unsupported format)
//! is kept as a problem, reported where the markdown shows the image.
//!
//! Encoding is the slow part: it runs in parallel, and each variant is kept in a folder of its
//! own (`.ancapex/images/` in the site), named by the digest of the source's bytes, the
//! variant's settings and the encoder's version, so an unchanged image is never encoded again.

pub mod resize;
pub mod svg;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use crate::config::ImagesConfig;
use crate::error::Result;
use crate::load::Origin;

/// The folder, inside the site, where encoded variants are kept between builds.
pub const CACHE_DIR: &str = ".ancapex/images";

/// Changes whenever an encoding would give other bytes (the encoders, the resize filter), so
/// variants kept by an older build are not reused.
const ENCODER_VERSION: &str = "image-0.25/libwebp-0.9/catmull-rom/1";

/// The widest WebP image libwebp encodes.
const WEBP_MAX: u32 = 16_383;

/// Extensions read as raster images.
const RASTER: [&str; 5] = ["png", "jpg", "jpeg", "gif", "webp"];

/// Extensions of images this build cannot read, named so that showing one is reported.
const UNSUPPORTED: [&str; 8] = ["avif", "bmp", "tif", "tiff", "heic", "heif", "ico", "jxl"];

/// Whether a path names an image, by its extension: one the build reads or one it refuses.
pub fn is_image(path: &str) -> bool {
    let ext = extension(path);
    RASTER.contains(&ext.as_str()) || UNSUPPORTED.contains(&ext.as_str()) || ext == "svg"
}

fn extension(path: &str) -> String {
    path.rsplit('/')
        .next()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// An image file of the content.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its path inside `content/`.
    pub rel: String,
    /// Where the site publishes it.
    pub output: String,
    /// Where its bytes are.
    pub origin: Origin,
}

/// A file format of a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// WebP (lossy, libwebp).
    WebP,
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
}

impl Format {
    /// The media type, for `<source type>`.
    pub fn mime(self) -> &'static str {
        match self {
            Format::WebP => "image/webp",
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::WebP => "webp",
            Format::Png => "png",
            Format::Jpeg => "jpg",
        }
    }
}

/// One resized copy of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Its output path before fingerprinting: `blog/post/plot.480w.webp`.
    pub path: String,
    /// Its width in pixels.
    pub width: u32,
    /// Its format.
    pub format: Format,
}

/// What the build made of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    /// A raster image, with its variants, narrowest first.
    Raster {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Where the image itself is published (the fallback at full width).
        output: String,
        /// The resized copies.
        variants: Vec<Variant>,
        /// Where its bytes are, for `resize_image`.
        origin: Origin,
        /// The SHA-256 of its bytes.
        digest: String,
    },
    /// An SVG, sanitised, published at `output` (fingerprinted).
    Svg {
        /// Its size, when the file says it in pixels or with a `viewBox`.
        size: Option<(u32, u32)>,
        /// Where it is published, before fingerprinting.
        output: String,
        /// How many scripts, handlers and the like were taken out.
        removed: usize,
    },
    /// What is wrong with it.
    Bad(Problem),
}

/// Why an image cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong: `not an image`.
    pub message: String,
    /// What to do.
    pub help: Option<String>,
}

/// Every image of the content, by its path inside `content/`, and the files to publish.
#[derive(Debug, Clone, Default)]
pub struct Images {
    by_source: BTreeMap<String, Image>,
    /// How many variants this build encoded (the rest came from the folder they are kept in).
    pub encoded: usize,
}

impl Images {
    /// The image at a path inside `content/`.
    pub fn get(&self, rel: &str) -> Option<&Image> {
        self.by_source.get(rel)
    }

    /// How many variants the images have.
    pub fn variants(&self) -> usize {
        self.by_source
            .values()
            .map(|i| match i {
                Image::Raster { variants, .. } => variants.len(),
                Image::Svg { .. } | Image::Bad(_) => 0,
            })
            .sum()
    }

    /// The paths inside `content/` of every image.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.by_source.keys().map(String::as_str)
    }
}

/// Where variants are kept between builds: read and written, read only (a check writes
/// nothing), or nowhere.
#[derive(Debug, Clone)]
pub enum Cache {
    /// Read and written.
    Kept(PathBuf),
    /// Read, never written.
    ReadOnly(PathBuf),
    /// Neither.
    None,
}

impl Cache {
    fn dir(&self) -> Option<&Path> {
        match self {
            Cache::Kept(d) | Cache::ReadOnly(d) => Some(d),
            Cache::None => None,
        }
    }
}

/// What the stage made: the images, and each file to fingerprint and publish (variants and
/// sanitised SVGs) by its output path.
#[derive(Debug, Default)]
pub struct Processed {
    /// Each image, for the markdown stage.
    pub images: Images,
    /// Files to publish, by unhashed output path.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Measures, resizes and encodes every image of `sources`, in parallel.
pub fn process(sources: &[Source], settings: &ImagesConfig, cache: &Cache) -> Result<Processed> {
    let done: Vec<Made> = sources
        .par_iter()
        .map(|source| {
            let bytes = source.origin.read()?;
            one(source, &bytes, settings, cache)
        })
        .collect::<Result<_>>()?;
    let mut out = Processed::default();
    for ((image, files, encoded), source) in done.into_iter().zip(sources) {
        let rel = source.rel.clone();
        out.images.by_source.insert(rel, image);
        out.images.encoded += encoded;
        out.files.extend(files);
    }
    Ok(out)
}

type Made = (Image, Vec<(String, Vec<u8>)>, usize);

/// One image: what it is, the files it gives and how many of them were encoded.
fn one(source: &Source, bytes: &[u8], settings: &ImagesConfig, cache: &Cache) -> Result<Made> {
    let ext = extension(&source.rel);
    if ext == "svg" {
        return Ok(match std::str::from_utf8(bytes) {
            Ok(text) => {
                let clean = svg::sanitise(text);
                let image = Image::Svg {
                    size: svg::size(&clean.text),
                    output: source.output.clone(),
                    removed: clean.removed,
                };
                (
                    image,
                    vec![(source.output.clone(), clean.text.into_bytes())],
                    0,
                )
            }
            Err(_) => (Image::Bad(not_an_image(&source.rel)), vec![], 0),
        });
    }
    if UNSUPPORTED.contains(&ext.as_str()) {
        return Ok((Image::Bad(unsupported(&ext)), vec![], 0));
    }
    let header = match reader(bytes, Limits::no_limits()) {
        Ok(r) => r,
        Err(p) => return Ok((Image::Bad(p), vec![], 0)),
    };
    let Some(format) = header.format() else {
        return Ok((Image::Bad(not_an_image(&source.rel)), vec![], 0));
    };
    let fallback = match format {
        ImageFormat::Png => Some(Format::Png),
        ImageFormat::Jpeg => Some(Format::Jpeg),
        // A GIF may move and a WebP is already one: their own file is the only fallback.
        ImageFormat::Gif | ImageFormat::WebP => None,
        _ => return Ok((Image::Bad(not_an_image(&source.rel)), vec![], 0)),
    };
    let (width, height) = match header.into_dimensions() {
        Ok(d) => d,
        Err(e) => return Ok((Image::Bad(undecodable(&e)), vec![], 0)),
    };
    if u64::from(width) * u64::from(height) > settings.max_pixels {
        return Ok((Image::Bad(too_large(width, height, settings)), vec![], 0));
    }
    // A GIF may move: it is shown as it is, measured.
    let wanted = if format == ImageFormat::Gif {
        vec![]
    } else {
        variants(&source.output, width, fallback, &settings.widths)
    };
    let digest = crate::text::hex(&Sha256::digest(bytes));
    let mut decoded: Option<DynamicImage> = None;
    let mut files = vec![];
    let mut encoded = 0;
    for variant in &wanted {
        let key = cache_key(&digest, variant, settings);
        if let Some(kept) = cache.dir().and_then(|d| read_kept(d, &key, variant.format)) {
            files.push((variant.path.clone(), kept));
            continue;
        }
        if decoded.is_none() {
            let decoder = reader(bytes, decode_limits(settings)).ok();
            match decoder.map(ImageReader::decode) {
                Some(Ok(image)) => decoded = Some(image),
                Some(Err(e)) => return Ok((Image::Bad(undecodable(&e)), vec![], 0)),
                None => return Ok((Image::Bad(not_an_image(&source.rel)), vec![], 0)),
            }
        }
        let Some(image) = decoded.as_ref() else {
            continue;
        };
        let Some(out) = encode(image, variant, settings.quality) else {
            return Ok((Image::Bad(unencodable(variant)), vec![], 0));
        };
        encoded += 1;
        if let Cache::Kept(dir) = cache {
            keep(dir, &key, variant.format, &out)?;
        }
        files.push((variant.path.clone(), out));
    }
    let image = Image::Raster {
        width,
        height,
        output: source.output.clone(),
        variants: wanted,
        origin: source.origin.clone(),
        digest,
    };
    Ok((image, files, encoded))
}

/// A reader of `bytes` with the format guessed from them. Its size is read with no limit
/// (the header alone is read, and the size is checked against the limit before anything
/// else); it decodes with `limits`.
fn reader(
    bytes: &[u8],
    limits: Limits,
) -> std::result::Result<ImageReader<Cursor<&[u8]>>, Problem> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| undecodable(&image::ImageError::IoError(e)))?;
    reader.limits(limits);
    Ok(reader)
}

/// What decoding may allocate: four bytes a pixel (RGBA8) of the largest image allowed, twice
/// over for the decoder's own buffers.
fn decode_limits(settings: &ImagesConfig) -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(settings.max_pixels.saturating_mul(8));
    limits
}

/// The variants of an image `width` pixels wide published at `output`: WebP at every
/// configured width below its own and at its own, and the fallback format at every
/// configured width below its own (at its own width the image itself is the fallback).
fn variants(output: &str, width: u32, fallback: Option<Format>, widths: &[u32]) -> Vec<Variant> {
    let mut sizes: Vec<u32> = widths
        .iter()
        .copied()
        .filter(|&w| w > 0 && w < width)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    let stem = output.rsplit_once('.').map_or(output, |(s, _)| s);
    let mut out = vec![];
    for &w in sizes.iter().chain([width].iter()) {
        if w <= WEBP_MAX {
            out.push(Variant {
                path: format!("{stem}.{w}w.webp"),
                width: w,
                format: Format::WebP,
            });
        }
        if let Some(f) = fallback.filter(|_| w < width) {
            out.push(Variant {
                path: format!("{stem}.{w}w.{}", f.extension()),
                width: w,
                format: f,
            });
        }
    }
    out
}

/// The name a variant is kept under: the source's digest, then the digest of everything
/// that decides the encoded bytes.
fn cache_key(digest: &str, variant: &Variant, settings: &ImagesConfig) -> String {
    let quality = match variant.format {
        Format::Png => 0,
        Format::WebP | Format::Jpeg => settings.quality,
    };
    let what = format!(
        "{ENCODER_VERSION}\n{}\n{}\n{quality}",
        variant.format.mime(),
        variant.width
    );
    let settings = crate::text::hex(&Sha256::digest(what.as_bytes()));
    format!("{}-{}", &digest[..32], &settings[..16])
}

fn kept_path(dir: &Path, key: &str, format: Format) -> PathBuf {
    dir.join(format!("{key}.{}", format.extension()))
}

fn read_kept(dir: &Path, key: &str, format: Format) -> Option<Vec<u8>> {
    std::fs::read(kept_path(dir, key, format)).ok()
}

/// Keeps a variant (through a temporary file of its own, so a build stopped halfway never leaves
/// half a file under a variant's name, and two builds keeping the same variant at once do not
/// take each other's).
fn keep(dir: &Path, key: &str, format: Format, bytes: &[u8]) -> Result<()> {
    crate::fs::create_dir_all(dir)?;
    crate::fs::write_atomically(dir, &kept_path(dir, key, format), bytes)
}

/// The image resized to the variant's width (the height keeping the ratio) and encoded.
fn encode(image: &DynamicImage, variant: &Variant, quality: u8) -> Option<Vec<u8>> {
    let (w, h) = (image.width(), image.height());
    let height = (u64::from(h) * u64::from(variant.width)).div_ceil(u64::from(w).max(1));
    let height = u32::try_from(height).ok()?.max(1);
    let resized = if variant.width == w {
        image.clone()
    } else {
        image.resize_exact(
            variant.width,
            height,
            image::imageops::FilterType::CatmullRom,
        )
    };
    write(&resized, variant.format, quality)
}

/// An image encoded in a format.
fn write(image: &DynamicImage, format: Format, quality: u8) -> Option<Vec<u8>> {
    let mut out = vec![];
    match format {
        Format::WebP => {
            let rgba = image.to_rgba8();
            let encoder = webp::Encoder::from_rgba(&rgba, rgba.width(), rgba.height());
            let memory = encoder.encode_simple(false, f32::from(quality)).ok()?;
            out.extend_from_slice(&memory);
        }
        Format::Png => {
            image
                .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .ok()?;
        }
        Format::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100));
            rgb.write_with_encoder(encoder).ok()?;
        }
    }
    Some(out)
}

fn not_an_image(rel: &str) -> Problem {
    Problem {
        message: format!("`{rel}` is not an image"),
        help: Some(
            "its bytes are not a PNG, JPEG, GIF, WebP or SVG image, whatever its name says"
                .to_owned(),
        ),
    }
}

fn unsupported(ext: &str) -> Problem {
    Problem {
        message: format!("`.{ext}` images are not supported"),
        help: Some("convert it to PNG, JPEG, GIF, WebP or SVG".to_owned()),
    }
}

fn undecodable(e: &image::ImageError) -> Problem {
    let (message, help) = match e {
        image::ImageError::Limits(_) => (
            "the image needs more memory to decode than the pixel limit allows".to_owned(),
            "a decompression bomb, or an image to make smaller; `[images] max_pixels` in site.toml sets the limit",
        ),
        _ => (
            format!("the image cannot be decoded: {e}"),
            "the file may be truncated or damaged: export it again",
        ),
    };
    Problem {
        message,
        help: Some(help.to_owned()),
    }
}

fn too_large(width: u32, height: u32, settings: &ImagesConfig) -> Problem {
    Problem {
        message: format!(
            "the image is {width}x{height}, more than the {} pixels allowed",
            settings.max_pixels
        ),
        help: Some(
            "make it smaller, or raise `[images] max_pixels` in site.toml if it is meant"
                .to_owned(),
        ),
    }
}

fn unencodable(variant: &Variant) -> Problem {
    Problem {
        message: format!("the image cannot be encoded as {}", variant.format.mime()),
        help: None,
    }
}

#[cfg(test)]
mod tests;
