//! The one EXIF fact caunoi keeps: the Orientation tag (0x0112), which tells a viewer to turn a
//! photo that the phone stored sideways. Read from the first IFD of a TIFF structure (the body
//! of an EXIF block after `Exif\0\0`), and written back as a fresh TIFF with that entry and the
//! four constants the EXIF standard requires of IFD0 (72 dpi, centred chroma), so no other tag
//! (GPS, camera, owner, dates, thumbnails) survives.

const ORIENTATION: u16 = 0x0112;
const SHORT: u16 = 3;

/// The Orientation (1–8) of a TIFF structure's first IFD, if it has a valid one.
pub fn orientation(tiff: &[u8]) -> Option<u16> {
    let big = match tiff.get(..4)? {
        [b'M', b'M', 0, 42] => true,
        [b'I', b'I', 42, 0] => false,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b = tiff.get(i..i + 2)?;
        Some(if big { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let u32_at = |i: usize| -> Option<u32> {
        let b = tiff.get(i..i + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if big { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    (0..count).find_map(|n| {
        let e = ifd + 2 + 12 * n;
        (u16_at(e)? == ORIENTATION && u16_at(e + 2)? == SHORT && u32_at(e + 4)? == 1)
            .then(|| u16_at(e + 8))
            .flatten()
            .filter(|o| (1..=8).contains(o))
    })
}

/// A big-endian TIFF structure whose IFD0 holds Orientation `o` and the required constants
/// (XResolution and YResolution 72/1, ResolutionUnit inches, YCbCrPositioning centred).
pub fn orientation_only(o: u16) -> Vec<u8> {
    const RATIONAL: u16 = 5;
    // Header (8), IFD0 with 5 entries (2 + 60 + 4), then the two rationals (16).
    let rationals = 8 + 2 + 5 * 12 + 4;
    let mut t = Vec::with_capacity(rationals + 16);
    t.extend_from_slice(b"MM\0\x2A\0\0\0\x08");
    t.extend_from_slice(&5u16.to_be_bytes());
    let mut entry = |tag: u16, kind: u16, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&kind.to_be_bytes());
        t.extend_from_slice(&1u32.to_be_bytes());
        t.extend_from_slice(&value);
    };
    let short = |v: u16| {
        let [a, b] = v.to_be_bytes();
        [a, b, 0, 0]
    };
    entry(ORIENTATION, SHORT, short(o));
    entry(0x011A, RATIONAL, (rationals as u32).to_be_bytes());
    entry(0x011B, RATIONAL, (rationals as u32 + 8).to_be_bytes());
    entry(0x0128, SHORT, short(2));
    entry(0x0213, SHORT, short(1));
    t.extend_from_slice(&0u32.to_be_bytes());
    for _ in 0..2 {
        t.extend_from_slice(&72u32.to_be_bytes());
        t.extend_from_slice(&1u32.to_be_bytes());
    }
    t
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A little-endian TIFF as a phone writes it: Make, Orientation `o`, a GPS IFD pointer, and a
    /// GPS IFD with latitude and longitude (whose values spell `GPS!` so tests can look for them).
    pub(crate) fn tiff_with_gps(o: u16) -> Vec<u8> {
        let mut t = b"II\x2A\0\x08\0\0\0".to_vec();
        // IFD0 at 8: three entries.
        t.extend_from_slice(&3u16.to_le_bytes());
        let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&kind.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            t.extend_from_slice(&value.to_le_bytes());
        };
        // Make "Acme" (ASCII, 4 bytes fit in the entry), Orientation, GPS IFD pointer.
        entry(&mut t, 0x010F, 2, 4, u32::from_le_bytes(*b"Acme"));
        entry(&mut t, ORIENTATION, SHORT, 1, u32::from(o));
        entry(&mut t, 0x8825, 4, 1, 8 + 2 + 36 + 4);
        t.extend_from_slice(&0u32.to_le_bytes());
        // GPS IFD at 50: latitude and longitude, RATIONAL values at 80 and 104.
        t.extend_from_slice(&2u16.to_le_bytes());
        entry(&mut t, 0x0002, 5, 3, 80);
        entry(&mut t, 0x0004, 5, 3, 104);
        t.extend_from_slice(&0u32.to_le_bytes());
        while t.len() < 80 {
            t.push(0);
        }
        for _ in 0..6 {
            t.extend_from_slice(b"GPS!");
            t.extend_from_slice(&[0, 0, 0, 0]);
        }
        t
    }

    #[test]
    fn orientation_is_read_and_written_alone() {
        assert_eq!(orientation(&tiff_with_gps(6)), Some(6));
        assert_eq!(orientation(&orientation_only(8)), Some(8));
        assert_eq!(orientation(b"MM\0\x2A\0\0\0\x08\0"), None);
        assert_eq!(orientation(b"junk"), None);
        assert_eq!(orientation_only(3).len(), 90);
    }
}
