//! What a theme's `resize_image` asks for: an image of the content resized (fit, fill or
//! resize), in a format and quality, named by the digest of its source and of what was asked,
//! so that its URL is known when the template calls, before anything is encoded. The calls
//! are gathered while pages render; the render stage encodes them after (`encode`), kept in
//! the images' folder like the variants.

use std::path::Path;

use image::Limits;
use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use super::{Cache, ENCODER_VERSION, Format, Image, Problem};
use crate::config::ImagesConfig;
use crate::error::Result;
use crate::load::Origin;

/// The folder of the output resized images are published in.
pub const DIR: &str = "processed_images";

/// How an image is made to fit the size asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Within `width` x `height`, keeping its ratio, never larger than it is.
    Fit,
    /// Exactly `width` x `height`: scaled to cover, then cropped in the middle.
    Fill,
    /// Exactly `width` x `height`, stretched.
    Resize,
    /// `width` wide, its height by its ratio.
    FitWidth,
    /// `height` high, its width by its ratio.
    FitHeight,
}

impl Op {
    /// The op named in a template call.
    pub fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "fit" => Op::Fit,
            "fill" => Op::Fill,
            "resize" => Op::Resize,
            "fit_width" => Op::FitWidth,
            "fit_height" => Op::FitHeight,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Op::Fit => "fit",
            Op::Fill => "fill",
            Op::Resize => "resize",
            Op::FitWidth => "fit_width",
            Op::FitHeight => "fit_height",
        }
    }
}

/// What one call asks for, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Where the source's bytes are.
    pub origin: Origin,
    /// The digest of its bytes.
    pub digest: String,
    /// The op.
    pub op: Op,
    /// The size of the result.
    pub width: u32,
    /// The size of the result.
    pub height: u32,
    /// The result's format.
    pub format: Format,
    /// Its quality (WebP and JPEG).
    pub quality: u8,
    /// Where it is published: `processed_images/<stem>.<key>.<ext>`.
    pub path: String,
}

/// The arguments of a call, as the template gave them.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The image, a path inside `content/`.
    pub path: &'a str,
    /// The width asked, if any.
    pub width: Option<u32>,
    /// The height asked, if any.
    pub height: Option<u32>,
    /// The op's name (`fit` when none).
    pub op: Option<&'a str>,
    /// `auto` (WebP), `webp`, `jpg`, `png`.
    pub format: Option<&'a str>,
    /// 1 to 100.
    pub quality: Option<u8>,
}

/// The request a call makes of the image at `asked.path`, or what is wrong with the call.
pub fn request(
    image: &Image,
    asked: &Asked<'_>,
    settings: &ImagesConfig,
) -> std::result::Result<Request, String> {
    let (width, height, origin, digest) = match image {
        Image::Raster {
            width,
            height,
            origin,
            digest,
            ..
        } => (*width, *height, origin, digest),
        Image::Svg { .. } => {
            return Err(format!(
                "`{}` is an SVG, which is drawn at any size: link to it as it is",
                asked.path
            ));
        }
        Image::Bad(Problem { message, .. }) => return Err(message.clone()),
    };
    let op_name = asked.op.unwrap_or("fit");
    let op = Op::parse(op_name).ok_or_else(|| {
        format!("unknown op `{op_name}`: one of fit, fill, resize, fit_width, fit_height")
    })?;
    let format = match asked.format.unwrap_or("auto") {
        "auto" | "webp" => Format::WebP,
        "jpg" | "jpeg" => Format::Jpeg,
        "png" => Format::Png,
        other => {
            return Err(format!(
                "unknown format `{other}`: one of auto, webp, jpg, png"
            ));
        }
    };
    let quality = asked.quality.unwrap_or(settings.quality);
    if !(1..=100).contains(&quality) {
        return Err(format!("quality {quality} is not between 1 and 100"));
    }
    let need = |v: Option<u32>, what: &str| {
        v.filter(|&v| v > 0)
            .ok_or_else(|| format!("op `{}` needs a {what} above 0", op.name()))
    };
    let ratio = |a: u32, of: u32, by: u32| -> u32 {
        let v = (u64::from(a) * u64::from(by)).div_ceil(u64::from(of).max(1));
        u32::try_from(v).unwrap_or(u32::MAX).max(1)
    };
    let (w, h) = match op {
        Op::Resize | Op::Fill => (need(asked.width, "width")?, need(asked.height, "height")?),
        Op::FitWidth => {
            let w = need(asked.width, "width")?;
            (w, ratio(height, width, w))
        }
        Op::FitHeight => {
            let h = need(asked.height, "height")?;
            (ratio(width, height, h), h)
        }
        Op::Fit => {
            let (mw, mh) = (need(asked.width, "width")?, need(asked.height, "height")?);
            if width <= mw && height <= mh {
                (width, height)
            } else if u64::from(width) * u64::from(mh) > u64::from(height) * u64::from(mw) {
                (mw, ratio(height, width, mw))
            } else {
                (ratio(width, height, mh), mh)
            }
        }
    };
    if u64::from(w) * u64::from(h) > settings.max_pixels {
        return Err(format!(
            "{w}x{h} is more than the {} pixels allowed",
            settings.max_pixels
        ));
    }
    if format == Format::WebP && (w > super::WEBP_MAX || h > super::WEBP_MAX) {
        return Err(format!(
            "{w}x{h} is larger than WebP allows: ask for `jpg` or `png`"
        ));
    }
    let what = format!(
        "{ENCODER_VERSION}\n{digest}\n{}\n{w}x{h}\n{}\n{quality}",
        op.name(),
        format.mime()
    );
    let key = crate::text::hex(&Sha256::digest(what.as_bytes()));
    let stem = asked
        .path
        .rsplit('/')
        .next()
        .and_then(|n| n.rsplit_once('.').map(|(s, _)| s))
        .unwrap_or("image");
    Ok(Request {
        origin: origin.clone(),
        digest: digest.clone(),
        op,
        width: w,
        height: h,
        format,
        quality,
        path: format!("{DIR}/{stem}.{}.{}", &key[..16], format.extension()),
    })
}

/// Files by output path, and how many of them were encoded (the rest were kept).
pub type Encoded = (Vec<(String, Vec<u8>)>, usize);

/// Encodes what the calls asked for, in parallel, each kept in `cache` by its path's key.
/// Returns each file by its output path, and how many were encoded.
pub fn encode(requests: &[Request], settings: &ImagesConfig, cache: &Cache) -> Result<Encoded> {
    let done: Vec<Option<(String, Vec<u8>, bool)>> = requests
        .par_iter()
        .map(|r| {
            let key = r.path.rsplit('/').next().unwrap_or(&r.path).to_owned();
            if let Some(kept) = cache.dir().and_then(|d| read(d, &key)) {
                return Ok(Some((r.path.clone(), kept, false)));
            }
            let bytes = r.origin.read()?;
            let Some(out) = one(&bytes, r, settings) else {
                return Ok(None);
            };
            if let Cache::Kept(dir) = cache {
                crate::fs::create_dir_all(dir)?;
                crate::fs::write_atomically(dir, &dir.join(&key), &out)?;
            }
            Ok(Some((r.path.clone(), out, true)))
        })
        .collect::<Result<_>>()?;
    let encoded = done.iter().flatten().filter(|(_, _, e)| *e).count();
    Ok((
        done.into_iter().flatten().map(|(p, b, _)| (p, b)).collect(),
        encoded,
    ))
}

fn read(dir: &Path, key: &str) -> Option<Vec<u8>> {
    std::fs::read(dir.join(key)).ok()
}

/// One request, decoded within the pixel limit, resized and encoded.
fn one(bytes: &[u8], r: &Request, settings: &ImagesConfig) -> Option<Vec<u8>> {
    let mut limits = Limits::default();
    limits.max_alloc = Some(settings.max_pixels.saturating_mul(8));
    let image = super::reader(bytes, limits).ok()?.decode().ok()?;
    let (w, h) = (image.width(), image.height());
    let made = match r.op {
        Op::Fill => {
            // Scaled to cover, then cropped in the middle.
            let wide = u64::from(w) * u64::from(r.height) > u64::from(h) * u64::from(r.width);
            let (sw, sh) = if wide {
                let sw = (u64::from(w) * u64::from(r.height)).div_ceil(u64::from(h).max(1));
                (u32::try_from(sw).ok()?, r.height)
            } else {
                let sh = (u64::from(h) * u64::from(r.width)).div_ceil(u64::from(w).max(1));
                (r.width, u32::try_from(sh).ok()?)
            };
            let scaled = image.resize_exact(sw, sh, image::imageops::FilterType::CatmullRom);
            scaled.crop_imm(
                (sw - r.width.min(sw)) / 2,
                (sh - r.height.min(sh)) / 2,
                r.width,
                r.height,
            )
        }
        _ if (w, h) == (r.width, r.height) => image,
        _ => image.resize_exact(r.width, r.height, image::imageops::FilterType::CatmullRom),
    };
    super::write(&made, r.format, r.quality)
}

/// What a template sees of a resized image.
pub fn view(r: &Request, image: &Image) -> serde_json::Value {
    let (ow, oh) = match image {
        Image::Raster { width, height, .. } => (*width, *height),
        Image::Svg { .. } | Image::Bad(_) => (0, 0),
    };
    serde_json::json!({
        "url": format!("/{}", r.path),
        "width": r.width,
        "height": r.height,
        "orig_width": ow,
        "orig_height": oh,
    })
}

/// Not an image of the content: the problem, with the nearest path.
pub fn not_found(path: &str, images: &super::Images) -> String {
    let paths: Vec<&str> = images.paths().collect();
    let hint = crate::text::did_you_mean(path, &paths)
        .map(|best| format!("; did you mean `{best}`?"))
        .unwrap_or_default();
    format!("no image `content/{path}`{hint}")
}
