//! ISO base media files (ISO/IEC 14496-12): HEIC photos and MP4/MOV videos, walked box by box.
//!
//! A HEIC photo is checked in memory: `ftyp` with a HEIF brand, boxes that tile the file exactly,
//! a `meta` box with the `pict` handler, its primary item declared in `iinf`, every `iloc`
//! extent inside the file and a non-zero image size (`ispe`). Its EXIF item and XMP item are
//! overwritten in place (an empty EXIF block, a blank XMP packet) — nothing moves, so every
//! other offset stays valid and the image data is untouched. Orientation in HEIF is an item
//! property (`irot`/`imir`), not EXIF, so it stays.
//!
//! A video is checked on disk (it reaches 50 MB): `ftyp` first, top-level boxes that tile the
//! file exactly (a truncated upload ends inside a box), one `moov` holding `mvhd` and at least
//! one `trak`, and media data (`mdat`). The boxes that carry user metadata — `udta` and `meta`
//! in `moov` or a `trak` (QuickTime's `©xyz` and Apple's location keys live there), and
//! top-level `udta`, `meta`, `uuid` — are turned into `free` boxes of the same size with a
//! zeroed body, which players skip, so no offset in `stco`/`co64` changes.

use super::{Cleaned, Flaw};
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

/// One box: its type, where it starts, and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bx {
    kind: [u8; 4],
    start: usize,
    body: Range<usize>,
}

/// A box header at `at` within `[at, end)`: `(type, header length, total length)`.
fn header(head: &[u8], at: u64, end: u64) -> Result<([u8; 4], u64, u64), Flaw> {
    if head.len() < 8 {
        return Err(Flaw::Truncated);
    }
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let kind = [head[4], head[5], head[6], head[7]];
    if !kind.iter().all(|c| c.is_ascii_graphic() || *c == b' ' || *c == 0xA9) {
        return Err(Flaw::Malformed);
    }
    let (header_len, total) = match size32 {
        0 => (8, end - at),
        1 => {
            let large = head.get(8..16).ok_or(Flaw::Truncated)?;
            (16, u64::from_be_bytes([large[0], large[1], large[2], large[3], large[4], large[5], large[6], large[7]]))
        }
        n => (8, u64::from(n)),
    };
    if total < header_len {
        return Err(Flaw::Malformed);
    }
    if at.checked_add(total).is_none_or(|e| e > end) {
        return Err(Flaw::Truncated);
    }
    Ok((kind, header_len, total))
}

/// The boxes that tile `b[range]` exactly.
fn children(b: &[u8], range: Range<usize>) -> Result<Vec<Bx>, Flaw> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let (kind, header_len, total) = header(&b[at..range.end], at as u64, range.end as u64)?;
        let (header_len, total) = (header_len as usize, total as usize);
        out.push(Bx { kind, start: at, body: at + header_len..at + total });
        at += total;
    }
    Ok(out)
}

/// The whole boxes at the start of `b`, up to the first that is cut or malformed.
fn complete_boxes(b: &[u8]) -> Vec<Bx> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Ok((kind, header_len, total)) = header(&b[at..], at as u64, b.len() as u64) {
        out.push(Bx { kind, start: at, body: at + header_len as usize..at + total as usize });
        at += total as usize;
        if at >= b.len() {
            break;
        }
    }
    out
}

fn find<'a>(boxes: &'a [Bx], kind: &[u8; 4]) -> Option<&'a Bx> {
    boxes.iter().find(|x| &x.kind == kind)
}

const HEIF_BRANDS: [&[u8; 4]; 10] =
    [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"];

fn be(b: &[u8], at: usize, n: usize) -> Result<u64, Flaw> {
    let s = b.get(at..at + n).ok_or(Flaw::Malformed)?;
    Ok(s.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
}

/// An item's extents in the file (absolute ranges).
struct Item {
    id: u32,
    kind: [u8; 4],
    content_type: Vec<u8>,
}

/// HEIC: checks the structure and blanks the EXIF and XMP items in place.
pub fn clean_heif(b: &[u8]) -> Result<Cleaned, Flaw> {
    let top = match children(b, 0..b.len()) {
        Ok(top) => top,
        // A HEIC's `meta` comes before its image data: a break before any `meta` is junk
        // after a HEIF brand, not a photo cut short.
        Err(Flaw::Truncated) if !complete_boxes(b).iter().any(|x| &x.kind == b"meta") => {
            return Err(Flaw::Malformed);
        }
        Err(flaw) => return Err(flaw),
    };
    let ftyp = top.first().filter(|x| &x.kind == b"ftyp").ok_or(Flaw::Malformed)?;
    let brands = &b[ftyp.body.clone()];
    let heif = brands.len() >= 8
        && (brands[..4].chunks(4).chain(brands[8..].chunks(4))).any(|c| HEIF_BRANDS.iter().any(|h| h.as_slice() == c));
    if !heif {
        return Err(Flaw::Malformed);
    }
    let meta = find(&top, b"meta").ok_or(Flaw::Malformed)?;
    // `meta` is a full box: version and flags, then boxes.
    let meta_boxes = children(b, meta.body.start + 4..meta.body.end)?;
    let hdlr = find(&meta_boxes, b"hdlr").ok_or(Flaw::Malformed)?;
    if b.get(hdlr.body.start + 8..hdlr.body.start + 12) != Some(b"pict") {
        return Err(Flaw::Malformed);
    }
    let pitm = find(&meta_boxes, b"pitm").ok_or(Flaw::Malformed)?;
    let primary = match b.get(pitm.body.start) {
        Some(0) => be(b, pitm.body.start + 4, 2)?,
        _ => be(b, pitm.body.start + 4, 4)?,
    } as u32;
    let items = item_infos(b, find(&meta_boxes, b"iinf").ok_or(Flaw::Malformed)?)?;
    if !items.iter().any(|i| i.id == primary) {
        return Err(Flaw::Malformed);
    }
    let idat = find(&meta_boxes, b"idat").map(|x| x.body.clone());
    let locations = item_locations(b, find(&meta_boxes, b"iloc").ok_or(Flaw::Malformed)?, idat)?;
    let (width, height) = image_size(b, &meta_boxes)?;
    // The EXIF item and XMP (a `mime` item of type application/rdf+xml) are blanked.
    let mut out: Option<Vec<u8>> = None;
    for item in &items {
        let exif = &item.kind == b"Exif";
        let xmp = &item.kind == b"mime" && item.content_type.eq_ignore_ascii_case(b"application/rdf+xml");
        if !(exif || xmp) {
            continue;
        }
        for (_, range) in locations.iter().filter(|(id, _)| *id == item.id) {
            let o = out.get_or_insert_with(|| b.to_vec());
            let blank: &[u8] = if exif {
                // exif_tiff_header_offset 0, then a TIFF header and an IFD with no entries.
                b"\0\0\0\0MM\0\x2A\0\0\0\x08\0\0\0\0\0\0"
            } else {
                b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>"
            };
            let fill = if exif { 0 } else { b' ' };
            let dst = &mut o[range.clone()];
            dst.fill(fill);
            if blank.len() <= dst.len() {
                dst[..blank.len()].copy_from_slice(blank);
            }
        }
    }
    Ok(Cleaned { width, height, bytes: out.filter(|o| o.as_slice() != b), orientation: None })
}

/// The items of `iinf` (`infe` version 2 or 3).
fn item_infos(b: &[u8], iinf: &Bx) -> Result<Vec<Item>, Flaw> {
    let s = iinf.body.start;
    let first = if b.get(s) == Some(&0) { s + 6 } else { s + 8 };
    let mut items = Vec::new();
    for infe in children(b, first.min(iinf.body.end)..iinf.body.end)? {
        if &infe.kind != b"infe" {
            continue;
        }
        let p = infe.body.start;
        let version = *b.get(p).ok_or(Flaw::Malformed)?;
        let (id, at) = match version {
            2 => (be(b, p + 4, 2)? as u32, p + 6),
            3 => (be(b, p + 4, 4)? as u32, p + 8),
            _ => continue,
        };
        let kind_at = at + 2;
        let kind: [u8; 4] = b.get(kind_at..kind_at + 4).and_then(|k| k.try_into().ok()).ok_or(Flaw::Malformed)?;
        let rest = b.get(kind_at + 4..infe.body.end).unwrap_or_default();
        let mut strings = rest.split(|c| *c == 0);
        let _name = strings.next();
        let content_type = if &kind == b"mime" { strings.next().unwrap_or_default().to_vec() } else { Vec::new() };
        items.push(Item { id, kind, content_type });
    }
    Ok(items)
}

/// Every extent of `iloc` as an absolute range of the file; an extent outside the file (or
/// outside `idat`) is a malformed file.
fn item_locations(b: &[u8], iloc: &Bx, idat: Option<Range<usize>>) -> Result<Vec<(u32, Range<usize>)>, Flaw> {
    let mut p = iloc.body.start;
    let version = *b.get(p).ok_or(Flaw::Malformed)?;
    if version > 2 {
        return Err(Flaw::Malformed);
    }
    p += 4;
    let sizes = be(b, p, 2)?;
    let (offset_size, length_size, base_size) =
        (((sizes >> 12) & 0xF) as usize, ((sizes >> 8) & 0xF) as usize, ((sizes >> 4) & 0xF) as usize);
    let index_size = if version == 0 { 0 } else { (sizes & 0xF) as usize };
    if [offset_size, length_size, base_size, index_size].iter().any(|s| ![0, 4, 8].contains(s)) {
        return Err(Flaw::Malformed);
    }
    p += 2;
    let (count, n) = if version < 2 { (be(b, p, 2)?, 2) } else { (be(b, p, 4)?, 4) };
    p += n;
    let mut out = Vec::new();
    let too_many = |out: &Vec<(u32, Range<usize>)>| out.len() > MAX_EXTENTS;
    for _ in 0..count {
        let id_len = if version < 2 { 2 } else { 4 };
        let id = be(b, p, id_len)? as u32;
        p += id_len;
        let method = if version == 0 {
            0
        } else {
            p += 2;
            be(b, p - 2, 2)? & 0xF
        };
        p += 2; // data_reference_index
        let base = be(b, p, base_size)?;
        p += base_size;
        let extents = be(b, p, 2)?;
        p += 2;
        for _ in 0..extents {
            if too_many(&out) || p > iloc.body.end {
                return Err(Flaw::Malformed);
            }
            p += index_size;
            let offset = base.checked_add(be(b, p, offset_size)?).ok_or(Flaw::Malformed)?;
            p += offset_size;
            let length = be(b, p, length_size)?;
            p += length_size;
            let within = match method {
                0 => 0..b.len(),
                1 => idat.clone().ok_or(Flaw::Malformed)?,
                // Data in another item: its own extents are checked.
                _ => continue,
            };
            let start = (within.start as u64).checked_add(offset).ok_or(Flaw::Malformed)?;
            let end = if length == 0 { within.end as u64 } else { start.checked_add(length).ok_or(Flaw::Malformed)? };
            if start > end || end > within.end as u64 {
                return Err(Flaw::Truncated);
            }
            out.push((id, start as usize..end as usize));
        }
    }
    if p > iloc.body.end {
        return Err(Flaw::Malformed);
    }
    Ok(out)
}

/// Most item extents a HEIC may declare (a photo has a few dozen: tiles, thumbnail, metadata).
const MAX_EXTENTS: usize = 10_000;

/// Most top-level boxes a video may have (a fragmented hour-long video has a few thousand).
const MAX_TOP_BOXES: usize = 100_000;

/// The largest `ispe` (image spatial extents) of `iprp/ipco`.
fn image_size(b: &[u8], meta_boxes: &[Bx]) -> Result<(u32, u32), Flaw> {
    let iprp = find(meta_boxes, b"iprp").ok_or(Flaw::Malformed)?;
    let props = children(b, iprp.body.clone())?;
    let ipco = find(&props, b"ipco").ok_or(Flaw::Malformed)?;
    children(b, ipco.body.clone())?
        .iter()
        .filter(|x| &x.kind == b"ispe")
        .filter_map(|x| Some((be(b, x.body.start + 4, 4).ok()? as u32, be(b, x.body.start + 8, 4).ok()? as u32)))
        .filter(|(w, h)| *w > 0 && *h > 0)
        .max_by_key(|(w, h)| u64::from(*w) * u64::from(*h))
        .ok_or(Flaw::Malformed)
}

/// What a video check found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VideoCheck {
    /// File ranges of the metadata boxes to blank (header included).
    pub metadata: Vec<Range<u64>>,
}

/// The largest `moov` read into memory (a 50 MB phone video's is well under 1 MB).
const MAX_MOOV: u64 = 16 * 1024 * 1024;

/// Checks a video file's boxes (see the module doc) and finds its metadata boxes.
pub fn check_video<F: Read + Seek>(f: &mut F, len: u64) -> Result<VideoCheck, Flaw> {
    let mut at = 0u64;
    let mut top = Vec::new();
    while at < len {
        if top.len() >= MAX_TOP_BOXES {
            return Err(Flaw::Malformed);
        }
        f.seek(SeekFrom::Start(at)).map_err(|_| Flaw::Truncated)?;
        let mut head = [0u8; 16];
        let n = read_up_to(f, &mut head)?;
        let (kind, header_len, total) = header(&head[..n], at, len)?;
        top.push((kind, at, header_len, total));
        at += total;
    }
    if top.first().map(|t| &t.0) != Some(b"ftyp") {
        return Err(Flaw::Malformed);
    }
    let mut moovs = top.iter().filter(|t| &t.0 == b"moov");
    let (Some(&(_, moov_at, moov_header, moov_len)), None) = (moovs.next(), moovs.next()) else {
        return Err(Flaw::Malformed);
    };
    if !top.iter().any(|t| &t.0 == b"mdat") || moov_len > MAX_MOOV {
        return Err(Flaw::Malformed);
    }
    let mut moov = vec![0u8; (moov_len - moov_header) as usize];
    f.seek(SeekFrom::Start(moov_at + moov_header)).map_err(|_| Flaw::Truncated)?;
    f.read_exact(&mut moov).map_err(|_| Flaw::Truncated)?;
    let inner = children(&moov, 0..moov.len())?;
    if find(&inner, b"mvhd").is_none() || !inner.iter().any(|x| &x.kind == b"trak") {
        return Err(Flaw::Malformed);
    }
    let base = moov_at + moov_header;
    let absolute = |x: &Bx| base + x.start as u64..base + x.body.end as u64;
    let mut metadata: Vec<Range<u64>> = top
        .iter()
        .filter(|t| matches!(&t.0, b"udta" | b"meta" | b"uuid"))
        .map(|&(_, at, _, total)| at..at + total)
        .collect();
    for x in &inner {
        match &x.kind {
            b"udta" | b"meta" => metadata.push(absolute(x)),
            b"trak" => {
                for y in children(&moov, x.body.clone())? {
                    if matches!(&y.kind, b"udta" | b"meta") {
                        metadata.push(absolute(&y));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(VideoCheck { metadata })
}

fn read_up_to<F: Read>(f: &mut F, buf: &mut [u8]) -> Result<usize, Flaw> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return Err(Flaw::Truncated),
        }
    }
    Ok(n)
}

/// Turns each range (a whole box) into a `free` box of the same size with a zeroed body.
pub fn blank_boxes<F: std::io::Write + Seek + Read>(f: &mut F, ranges: &[Range<u64>]) -> std::io::Result<()> {
    for r in ranges {
        let mut head = [0u8; 16];
        f.seek(SeekFrom::Start(r.start))?;
        f.read_exact(&mut head[..8])?;
        let header_len = if u32::from_be_bytes([head[0], head[1], head[2], head[3]]) == 1 { 16 } else { 8 };
        f.seek(SeekFrom::Start(r.start + 4))?;
        f.write_all(b"free")?;
        f.seek(SeekFrom::Start(r.start + header_len))?;
        let zeros = [0u8; 8192];
        let mut left = r.end - r.start - header_len;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            f.write_all(&zeros[..n])?;
            left -= n as u64;
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    fn full(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
        let mut b = vec![version, 0, 0, 0];
        b.extend_from_slice(body);
        bx(kind, &b)
    }

    /// A small MP4: ftyp, moov (mvhd, a trak with a udta holding a location), the movie's own
    /// udta with `©xyz`, then `mdat` with `payload`.
    pub(crate) fn mp4(payload: &[u8]) -> Vec<u8> {
        let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
        let xyz = bx(b"\xA9xyz", b"\0\x11\0\0+10.7626+106.6602/");
        let trak = bx(b"trak", &[bx(b"tkhd", &[0; 84]), bx(b"udta", &xyz)].concat());
        let moov = bx(b"moov", &[full(b"mvhd", 0, &[0; 96]), trak, bx(b"udta", &xyz)].concat());
        [ftyp, moov, bx(b"mdat", payload)].concat()
    }

    /// A HEIC: one primary image item, an EXIF item and an XMP item, all in `mdat`.
    pub(crate) fn heic(exif: &[u8], xmp: &[u8]) -> Vec<u8> {
        let image = b"HEVC-IMAGE-DATA!";
        let ftyp = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        let hdlr = full(b"hdlr", 0, b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0");
        let pitm = full(b"pitm", 0, &1u16.to_be_bytes());
        let infe = |id: u16, kind: &[u8; 4], extra: &[u8]| {
            let mut b = id.to_be_bytes().to_vec();
            b.extend_from_slice(&[0, 0]);
            b.extend_from_slice(kind);
            b.push(0);
            b.extend_from_slice(extra);
            full(b"infe", 2, &b)
        };
        let mut iinf_body = 3u16.to_be_bytes().to_vec();
        iinf_body.extend(infe(1, b"hvc1", b""));
        iinf_body.extend(infe(2, b"Exif", b""));
        iinf_body.extend(infe(3, b"mime", b"application/rdf+xml\0"));
        let iinf = full(b"iinf", 0, &iinf_body);
        let ispe = full(b"ispe", 0, &[0, 0, 0x0F, 0xC0, 0, 0, 0x0B, 0xD0]);
        let iprp = bx(b"iprp", &bx(b"ipco", &ispe));
        // iloc v0, 4-byte offsets and lengths, no base offset; offsets patched below.
        let iloc_len = 8 + 4 + 2 + 2 + 3 * (2 + 2 + 2 + 8);
        let meta_len = 12 + hdlr.len() + pitm.len() + iinf.len() + iprp.len() + iloc_len;
        let data_at = (ftyp.len() + meta_len + 8) as u32;
        let mut iloc_body = vec![0x44, 0x00];
        iloc_body.extend_from_slice(&3u16.to_be_bytes());
        let sizes = [image.len(), exif.len(), xmp.len()];
        let mut at = data_at;
        for (n, size) in sizes.iter().enumerate() {
            iloc_body.extend_from_slice(&(n as u16 + 1).to_be_bytes());
            iloc_body.extend_from_slice(&[0, 0, 0, 1]);
            iloc_body.extend_from_slice(&at.to_be_bytes());
            iloc_body.extend_from_slice(&(*size as u32).to_be_bytes());
            at += *size as u32;
        }
        let iloc = full(b"iloc", 0, &iloc_body);
        assert_eq!(iloc.len(), iloc_len);
        let meta = full(b"meta", 0, &[hdlr, pitm, iinf, iprp, iloc].concat());
        assert_eq!(meta.len(), meta_len);
        [ftyp, meta, bx(b"mdat", &[image.as_slice(), exif, xmp].concat())].concat()
    }

    #[test]
    fn heic_exif_and_xmp_items_are_blanked_in_place() {
        let mut exif = b"\0\0\0\x06Exif\0\0".to_vec();
        exif.extend(super::super::exif::tests::tiff_with_gps(1));
        let h = heic(&exif, b"<x:xmpmeta><exif:GPSLatitude>10</exif:GPSLatitude></x:xmpmeta>");
        let c = clean_heif(&h).expect("valid");
        assert_eq!((c.width, c.height), (4032, 3024));
        let out = c.bytes.expect("rewritten");
        assert_eq!(out.len(), h.len(), "nothing moves");
        assert!(!out.windows(4).any(|w| w == b"GPS!"));
        assert!(!out.windows(11).any(|w| w == b"GPSLatitude"));
        assert!(out.windows(16).any(|w| w == b"HEVC-IMAGE-DATA!"), "image data untouched");
        assert_eq!(clean_heif(&out).map(|c| c.bytes), Ok(None), "idempotent");
    }

    #[test]
    fn hostile_item_locations_are_refused_not_followed() {
        let h = heic(b"\0\0\0\0", b"<x/>");
        let at = h.windows(4).position(|w| w == b"iloc").expect("iloc") + 4;
        // Zero-sized offsets and lengths and 65,535 extents per item: bounded, not looped.
        let mut zero = h.clone();
        zero[at + 4] = 0x00;
        zero[at + 6..at + 8].copy_from_slice(&[0xFF, 0xFF]);
        assert!(clean_heif(&zero).is_err());
        // 8-byte offsets read from the 4-byte ones: offsets far past the file, refused.
        let mut wide = h.clone();
        wide[at + 4] = 0x84;
        assert!(clean_heif(&wide).is_err());
        // An extent that starts far past the end of the file: refused.
        let mut far = h.clone();
        let first_offset = at + 8 + 2 + 2 + 2;
        far[first_offset..first_offset + 4].copy_from_slice(&[0xFF; 4]);
        assert_eq!(clean_heif(&far).err(), Some(Flaw::Truncated));
    }

    #[test]
    fn heic_brand_with_junk_is_refused() {
        let mut junk = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        junk.extend_from_slice(b"this is not a photo at all, just junk bytes");
        assert_eq!(clean_heif(&junk).err(), Some(Flaw::Malformed));
        let h = heic(b"\0\0\0\0", b"<x/>");
        assert_eq!(clean_heif(&h[..h.len() - 5]).err(), Some(Flaw::Truncated));
    }

    #[test]
    fn videos_need_their_boxes_and_lose_their_location() {
        let v = mp4(&[7; 100]);
        let found = check_video(&mut std::io::Cursor::new(&v), v.len() as u64).expect("valid");
        assert_eq!(found.metadata.len(), 2, "movie and track udta");
        let mut c = std::io::Cursor::new(v.clone());
        blank_boxes(&mut c, &found.metadata).expect("blanked");
        let out = c.into_inner();
        assert_eq!(out.len(), v.len());
        assert!(!out.windows(8).any(|w| w == b"+10.7626"));
        assert!(check_video(&mut std::io::Cursor::new(&out), out.len() as u64).is_ok());

        let truncated = &v[..v.len() - 10];
        let r = check_video(&mut std::io::Cursor::new(truncated), truncated.len() as u64);
        assert_eq!(r.err(), Some(Flaw::Truncated));
        let only_ftyp = bx(b"ftyp", b"mp42\0\0\0\0mp42isom");
        assert!(check_video(&mut std::io::Cursor::new(&only_ftyp), only_ftyp.len() as u64).is_err());
        let mut junk = only_ftyp.clone();
        junk.extend_from_slice(b"junk junk junk junk");
        assert!(check_video(&mut std::io::Cursor::new(&junk), junk.len() as u64).is_err());
    }
}
