//! Photos: each format's structure walked from its signature to its end marker (dimensions
//! read, every length checked), and the same walk writing the file again without its metadata.
//! Lossless: only container segments and chunks are dropped or rewritten, never pixels. The
//! formats: JPEG, PNG, WebP, GIF here; HEIC with the other ISO media files in `super::bmff`.

use super::FileType;
pub use super::{Cleaned, Flaw};

/// Walks and cleans a photo of type `kind` (an image type).
pub fn clean(kind: FileType, bytes: &[u8]) -> Result<Cleaned, Flaw> {
    match kind {
        FileType::Jpeg => super::jpeg::clean(bytes),
        FileType::Png => png(bytes),
        FileType::Webp => webp(bytes),
        FileType::Gif => gif(bytes),
        FileType::Heic => super::bmff::clean_heif(bytes),
        _ => Err(Flaw::Malformed),
    }
}

fn be32(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn le32(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn le16(b: &[u8], i: usize) -> Option<u16> {
    b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// PNG chunks a viewer needs (critical ones, transparency, colour, animation); every other
/// chunk — `eXIf`, `tEXt`, `iTXt`, `zTXt`, `tIME` and private ones — is dropped.
const PNG_KEPT: [&[u8; 4]; 19] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD",
    b"hIST", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCV", b"cLLI",
];

/// PNG: signature, IHDR first (non-zero size), every chunk's length and CRC, at least one
/// IDAT, IEND last. Bytes after IEND are dropped with the metadata.
fn png(b: &[u8]) -> Result<Cleaned, Flaw> {
    if !b.starts_with(PNG_SIGNATURE) {
        return Err(Flaw::Malformed);
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut pos = 8;
    let mut size = None;
    let mut idat = false;
    let mut removed = false;
    loop {
        let len = be32(b, pos).ok_or(Flaw::Truncated)? as usize;
        if len > 0x7FFF_FFFF {
            return Err(Flaw::Malformed);
        }
        let end = pos + 12 + len;
        let chunk = b.get(pos..end).ok_or(Flaw::Truncated)?;
        let kind: &[u8] = &chunk[4..8];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(Flaw::Malformed);
        }
        let crc = be32(chunk, 8 + len).ok_or(Flaw::Truncated)?;
        // A damaged critical chunk spoils the image; a damaged ancillary one (lower-case first
        // letter) is dropped, as decoders skip it.
        let intact = crc32fast::hash(&chunk[4..8 + len]) == crc;
        if !intact && kind[0].is_ascii_uppercase() {
            return Err(Flaw::Malformed);
        }
        let data = &chunk[8..8 + len];
        match (size.is_some(), kind) {
            (false, b"IHDR") if len == 13 => {
                let (w, h) = (be32(data, 0).unwrap_or(0), be32(data, 4).unwrap_or(0));
                if w == 0 || h == 0 {
                    return Err(Flaw::Malformed);
                }
                size = Some((w, h));
            }
            (false, _) | (true, b"IHDR") => return Err(Flaw::Malformed),
            (true, b"IDAT") => idat = true,
            _ => {}
        }
        if intact && PNG_KEPT.iter().any(|k| k.as_slice() == kind) {
            out.extend_from_slice(chunk);
        } else {
            removed = true;
        }
        pos = end;
        if kind == b"IEND" {
            break;
        }
    }
    if !idat {
        return Err(Flaw::Malformed);
    }
    removed |= pos < b.len();
    let (width, height) = size.ok_or(Flaw::Malformed)?;
    Ok(Cleaned { width, height, bytes: removed.then_some(out), orientation: None })
}

/// WebP chunks kept: the image (`VP8 `, `VP8L`, `ALPH`), animation and the colour profile.
const WEBP_KEPT: [&[u8; 4]; 6] = [b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"];
const WEBP_ICC: &[u8; 4] = b"ICCP";
const VP8X_EXIF: u8 = 0x08;
const VP8X_XMP: u8 = 0x04;

/// WebP: the RIFF size, every chunk inside it, a first chunk that is a VP8, VP8L or VP8X
/// header with a non-zero size, and image data. `EXIF`, `XMP ` and unknown chunks are dropped
/// and the VP8X flags and RIFF size follow.
fn webp(b: &[u8]) -> Result<Cleaned, Flaw> {
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WEBP" {
        return Err(Flaw::Malformed);
    }
    let riff_end = 8 + le32(b, 4).ok_or(Flaw::Truncated)? as usize;
    if riff_end > b.len() {
        return Err(Flaw::Truncated);
    }
    let mut chunks = Vec::new();
    let mut pos = 12;
    while pos < riff_end {
        let kind = b.get(pos..pos + 4).ok_or(Flaw::Truncated)?;
        let len = le32(b, pos + 4).ok_or(Flaw::Truncated)? as usize;
        let end = pos + 8 + len + (len & 1);
        if end > riff_end {
            return Err(Flaw::Truncated);
        }
        chunks.push((kind, &b[pos..pos + 8 + len], &b[pos + 8..pos + 8 + len]));
        pos = end;
    }
    let Some(&(first, _, data)) = chunks.first() else { return Err(Flaw::Malformed) };
    let size = match first {
        b"VP8 " if data.len() >= 10 && data[3..6] == [0x9D, 0x01, 0x2A] => {
            Some((u32::from(le16(data, 6).unwrap_or(0) & 0x3FFF), u32::from(le16(data, 8).unwrap_or(0) & 0x3FFF)))
        }
        b"VP8L" if data.len() >= 5 && data[0] == 0x2F => {
            let bits = le32(data, 1).unwrap_or(0);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" if data.len() >= 10 => {
            let w = u32::from_le_bytes([data[4], data[5], data[6], 0]) + 1;
            let h = u32::from_le_bytes([data[7], data[8], data[9], 0]) + 1;
            let has_image = chunks.iter().any(|(k, _, _)| matches!(*k, b"VP8 " | b"VP8L" | b"ANMF"));
            has_image.then_some((w, h))
        }
        _ => None,
    };
    let (width, height) = size.filter(|(w, h)| *w > 0 && *h > 0).ok_or(Flaw::Malformed)?;
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut removed = riff_end < b.len();
    for (kind, chunk, _) in &chunks {
        if WEBP_KEPT.iter().any(|k| k.as_slice() == *kind) || *kind == WEBP_ICC {
            let at = out.len();
            out.extend_from_slice(chunk);
            if chunk.len() & 1 == 1 {
                out.push(0);
            }
            if *kind == b"VP8X" && chunk.len() > 8 && out[at + 8] & (VP8X_EXIF | VP8X_XMP) != 0 {
                out[at + 8] &= !(VP8X_EXIF | VP8X_XMP);
                removed = true;
            }
        } else {
            removed = true;
        }
    }
    let riff_size = u32::try_from(out.len() - 8).map_err(|_| Flaw::Malformed)?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    Ok(Cleaned { width, height, bytes: removed.then_some(out), orientation: None })
}

/// GIF application extensions kept: looping (`NETSCAPE2.0`, `ANIMEXTS1.0`). XMP (`XMP DataXMP`),
/// other applications' blocks and comments are dropped.
const GIF_APPS_KEPT: [&[u8; 11]; 2] = [b"NETSCAPE2.0", b"ANIMEXTS1.0"];

/// GIF: header, screen descriptor and colour table, then blocks (images, extensions) each with
/// its sub-blocks, to the trailer; at least one image.
fn gif(b: &[u8]) -> Result<Cleaned, Flaw> {
    if !(b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a")) {
        return Err(Flaw::Malformed);
    }
    let width = u32::from(le16(b, 6).ok_or(Flaw::Truncated)?);
    let height = u32::from(le16(b, 8).ok_or(Flaw::Truncated)?);
    if width == 0 || height == 0 {
        return Err(Flaw::Malformed);
    }
    let packed = *b.get(10).ok_or(Flaw::Truncated)?;
    let mut pos = 13 + if packed & 0x80 != 0 { 3 << ((packed & 7) + 1) } else { 0 };
    if pos > b.len() {
        return Err(Flaw::Truncated);
    }
    // Sub-blocks from `at` to their zero terminator; returns the position after it.
    let sub_blocks = |mut at: usize| -> Result<usize, Flaw> {
        loop {
            let n = usize::from(*b.get(at).ok_or(Flaw::Truncated)?);
            at += 1 + n;
            if n == 0 {
                return Ok(at);
            }
            if at > b.len() {
                return Err(Flaw::Truncated);
            }
        }
    };
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..pos]);
    let mut images = 0;
    let mut removed = false;
    loop {
        match *b.get(pos).ok_or(Flaw::Truncated)? {
            0x2C => {
                let desc = b.get(pos..pos + 10).ok_or(Flaw::Truncated)?;
                let local = if desc[9] & 0x80 != 0 { 3 << ((desc[9] & 7) + 1) } else { 0 };
                // The LZW minimum code size, then the image data.
                let data = pos + 10 + local + 1;
                if data > b.len() {
                    return Err(Flaw::Truncated);
                }
                let end = sub_blocks(data)?;
                out.extend_from_slice(&b[pos..end]);
                pos = end;
                images += 1;
            }
            0x21 => {
                let label = *b.get(pos + 1).ok_or(Flaw::Truncated)?;
                let end = sub_blocks(pos + 2)?;
                let keep = match label {
                    0xF9 | 0x01 => true,
                    0xFF => b.get(pos + 3..pos + 14).is_some_and(|id| {
                        b.get(pos + 2) == Some(&11) && GIF_APPS_KEPT.iter().any(|k| k.as_slice() == id)
                    }),
                    _ => false,
                };
                if keep {
                    out.extend_from_slice(&b[pos..end]);
                } else {
                    removed = true;
                }
                pos = end;
            }
            0x3B => {
                out.push(0x3B);
                removed |= pos + 1 < b.len();
                break;
            }
            _ => return Err(Flaw::Malformed),
        }
    }
    if images == 0 {
        return Err(Flaw::Malformed);
    }
    Ok(Cleaned { width, height, bytes: removed.then_some(out), orientation: None })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 16×8 baseline JPEG's structure (tables and scan data are placeholders: the walker
    /// never decodes them), with an optional EXIF block (a TIFF body) and comment.
    pub(crate) fn jpeg(exif: Option<&[u8]>, comment: &[u8]) -> Vec<u8> {
        let seg = |j: &mut Vec<u8>, marker: u8, body: &[u8]| {
            j.extend_from_slice(&[0xFF, marker]);
            j.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            j.extend_from_slice(body);
        };
        let mut j = vec![0xFF, 0xD8];
        seg(&mut j, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        if let Some(tiff) = exif {
            let mut body = b"Exif\0\0".to_vec();
            body.extend_from_slice(tiff);
            seg(&mut j, 0xE1, &body);
            seg(&mut j, 0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPSLatitude</x:xmpmeta>");
            seg(&mut j, 0xED, b"Photoshop 3.0\08BIM\x04\x04 IPTC city");
        }
        if !comment.is_empty() {
            seg(&mut j, 0xFE, comment);
        }
        seg(&mut j, 0xDB, &[0u8; 65]);
        seg(&mut j, 0xC0, &[8, 0, 8, 0, 16, 1, 1, 0x11, 0]);
        seg(&mut j, 0xC4, &[0u8; 20]);
        seg(&mut j, 0xDA, &[1, 1, 0, 0, 63, 0]);
        j.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78]);
        j.extend_from_slice(&[0xFF, 0xD9]);
        j
    }

    pub(crate) fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend_from_slice(&crc32fast::hash(&c).to_be_bytes());
    }

    /// A 1×1 PNG, with optional extra chunks before its image data.
    pub(crate) fn png_with(extra: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut p = PNG_SIGNATURE.to_vec();
        png_chunk(&mut p, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
        for (k, d) in extra {
            png_chunk(&mut p, k, d);
        }
        png_chunk(&mut p, b"IDAT", &[0x78, 0x9C, 0x63, 0, 1, 0, 0, 5, 0, 1]);
        png_chunk(&mut p, b"IEND", &[]);
        p
    }

    #[test]
    fn png_text_and_exif_chunks_go() {
        let plain = png_with(&[]);
        assert_eq!(png(&plain).map(|c| (c.width, c.bytes)), Ok((1, None)));
        let tagged = png_with(&[(b"eXIf", b"MM\0*GPS!"), (b"tEXt", b"Author\0Ho"), (b"tIME", &[7; 7])]);
        let c = png(&tagged).expect("valid");
        assert_eq!(c.bytes.as_deref(), Some(plain.as_slice()));
        let mut bad_crc = plain.clone();
        bad_crc[30] ^= 1;
        assert_eq!(png(&bad_crc).err(), Some(Flaw::Malformed), "IHDR's CRC");
        let mut bad_gamma = png_with(&[(b"gAMA", &[0, 0, 0xB1, 0x8F])]);
        bad_gamma[45] ^= 1;
        assert_eq!(png(&bad_gamma).ok().and_then(|c| c.bytes), Some(plain.clone()), "a damaged gAMA is dropped");
        assert_eq!(png(&plain[..plain.len() - 12]).err(), Some(Flaw::Truncated), "no IEND");
    }

    fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut w = b"RIFF\0\0\0\0WEBP".to_vec();
        for (k, d) in chunks {
            w.extend_from_slice(*k);
            w.extend_from_slice(&(d.len() as u32).to_le_bytes());
            w.extend_from_slice(d);
            if d.len() % 2 == 1 {
                w.push(0);
            }
        }
        let n = (w.len() - 8) as u32;
        w[4..8].copy_from_slice(&n.to_le_bytes());
        w
    }

    #[test]
    fn webp_exif_and_xmp_chunks_go() {
        let vp8 = [0u8, 0, 0, 0x9D, 0x01, 0x2A, 4, 0, 3, 0, 9, 9];
        let mut vp8x = [0u8; 10];
        vp8x[0] = VP8X_EXIF | VP8X_XMP;
        vp8x[4] = 3;
        vp8x[7] = 2;
        let tagged = riff(&[(b"VP8X", &vp8x), (b"VP8 ", &vp8), (b"EXIF", b"II*\0GPS!"), (b"XMP ", b"<x/>")]);
        let c = webp(&tagged).expect("valid");
        assert_eq!((c.width, c.height), (4, 3));
        let mut clean_vp8x = vp8x;
        clean_vp8x[0] = 0;
        assert_eq!(c.bytes, Some(riff(&[(b"VP8X", &clean_vp8x), (b"VP8 ", &vp8)])));
        assert_eq!(webp(&riff(&[(b"VP8 ", &vp8)])).map(|c| c.bytes), Ok(None));
        assert_eq!(webp(&tagged[..tagged.len() - 3]).err(), Some(Flaw::Truncated));
        assert_eq!(webp(&riff(&[(b"EXIF", b"II*\0")])).err(), Some(Flaw::Malformed));
        // A second, empty VP8X is dropped like any chunk, never read past its end.
        assert!(webp(&riff(&[(b"VP8 ", &vp8), (b"VP8X", b"")])).is_ok());
    }

    #[test]
    fn gif_comments_and_xmp_go() {
        let mut g = b"GIF89a\x02\0\x02\0\x80\0\0".to_vec();
        g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        let image = [0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 2, 0x44, 0x01, 0];
        let mut plain = g.clone();
        plain.extend_from_slice(&image);
        plain.push(0x3B);
        let mut tagged = g.clone();
        tagged.extend_from_slice(&[0x21, 0xFE, 4, b'G', b'P', b'S', b'!', 0]);
        tagged.extend_from_slice(&[0x21, 0xFF, 11]);
        tagged.extend_from_slice(b"XMP DataXMP");
        tagged.extend_from_slice(&[3, b'<', b'x', b'>', 0]);
        tagged.extend_from_slice(&image);
        tagged.push(0x3B);
        assert_eq!(gif(&plain).map(|c| c.bytes), Ok(None));
        assert_eq!(gif(&tagged).ok().and_then(|c| c.bytes), Some(plain.clone()));
        assert_eq!(gif(&plain[..plain.len() - 1]).err(), Some(Flaw::Truncated));
    }
}
