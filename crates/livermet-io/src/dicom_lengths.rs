//! A walk over a DICOM file's element headers before dicom-parser reads it, refusing the lengths
//! on which the parser would allocate what the file does not hold.
//!
//! dicom-parser reserves (and zero-fills) a value's declared length before reading it, so a
//! 20 KB file declaring a 4 GB element makes it allocate 4 GB. It also reads a numeric value of
//! `len` bytes as `len / size` numbers while advancing its position by `len`: a US of 257 bytes
//! or an FL of 246 leaves the stream a byte or two short, the next header is read from inside a
//! value, and its "length" is arbitrary. PS3.5 6.2 requires a numeric value's length to be a
//! multiple of its size, so such a file is corrupt and is refused here, with the element named.
//! Both findings are AFL++'s (bench/fuzz.sh; inputs in fuzz/regressions/dicom).

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// VRs with a 2-byte length in explicit VR (PS3.5 Table 7.1-2); every other VR, unknown ones
/// included (as dicom-parser reads them), has 2 reserved bytes and a 4-byte length.
const SHORT_VRS: [&[u8; 2]; 21] = [
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
    b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
];

const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";
const DEFLATED_EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1.99";

/// Size in bytes of one number of a numeric VR (PS3.5 Table 6.2-1); `None` for the others.
fn value_size(vr: VR) -> Option<u32> {
    match vr {
        VR::US | VR::SS | VR::OW => Some(2),
        VR::AT | VR::FL | VR::OF | VR::SL | VR::UL | VR::OL => Some(4),
        VR::FD | VR::OD | VR::SV | VR::UV | VR::OV => Some(8),
        _ => None,
    }
}

/// The VR dicom-parser gives an element: the explicit one, or in implicit VR the dictionary's
/// (OW for pixel and overlay data, UN when the tag is unknown), as dicom-encoding's implicit
/// decoder resolves it.
fn resolved_vr(tag: Tag, explicit: Option<[u8; 2]>) -> VR {
    match explicit {
        Some(bytes) => VR::from_binary(bytes).unwrap_or(VR::UN),
        None if tag == Tag(0x7FE0, 0x0010) || (tag.0 >> 8 == 0x60 && tag.1 == 0x3000) => VR::OW,
        None => StandardDataDictionary
            .by_tag(tag)
            .map(|entry| entry.vr().relaxed())
            .unwrap_or(VR::UN),
    }
}

/// Why the file's element lengths cannot be read safely, naming the first bad element; `None`
/// when every length fits. Walks explicit or implicit VR, little or big endian, defined or
/// undefined lengths, descends into sequences and items and skips encapsulated pixel fragments
/// (PS3.5 7.1, 7.5, A.4). Deflated data sets are not walked.
pub(crate) fn bad_element_length(b: &[u8]) -> Option<String> {
    let (mut pos, mut implicit, mut big, mut fragments) = (132usize, false, false, false);
    while pos + 8 <= b.len() {
        let in_meta = u16::from_le_bytes([b[pos], b[pos + 1]]) == 0x0002;
        let be = big && !in_meta;
        let u16_at = |o: usize| {
            let a = [b[o], b[o + 1]];
            if be {
                u16::from_be_bytes(a)
            } else {
                u16::from_le_bytes(a)
            }
        };
        let u32_at = |o: usize| {
            let a = [b[o], b[o + 1], b[o + 2], b[o + 3]];
            if be {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            }
        };
        let tag = Tag(u16_at(pos), u16_at(pos + 2));
        let item = tag.0 == 0xFFFE;
        let vr_bytes = [b[pos + 4], b[pos + 5]];
        let explicit = !item && (in_meta || !implicit);
        let (len, header) = if !explicit {
            (u32_at(pos + 4), 8)
        } else if SHORT_VRS.contains(&&vr_bytes) {
            (u32::from(u16_at(pos + 6)), 8)
        } else {
            if pos + 12 > b.len() {
                return None;
            }
            (u32_at(pos + 8), 12)
        };
        pos += header;
        let named = || format!("element ({:04X},{:04X})", tag.0, tag.1);
        if tag == Tag(0x7FE0, 0x0010) && len == u32::MAX {
            fragments = true;
        }
        if tag == Tag(0xFFFE, 0xE0DD) {
            fragments = false;
        }
        let vr = (!item).then(|| resolved_vr(tag, explicit.then_some(vr_bytes)));
        // Undefined length: the contents (elements or items) follow and are walked in turn.
        if len == u32::MAX {
            continue;
        }
        let remaining = (b.len() - pos) as u64;
        if u64::from(len) > remaining {
            return Some(format!(
                "{} declares {len} bytes but only {remaining} remain: the file is truncated or corrupt",
                named()
            ));
        }
        if let Some(size) = vr.and_then(value_size)
            && len % size != 0
        {
            return Some(format!(
                "{} ({vr:?}) has {len} bytes, not a multiple of {size}: the file is corrupt",
                named(),
                vr = vr.unwrap_or(VR::UN)
            ));
        }
        if in_meta && tag.1 == 0x0010 {
            let ts = String::from_utf8_lossy(&b[pos..pos + len as usize]);
            let ts = ts.trim_end_matches(['\0', ' ']);
            if ts == DEFLATED_EXPLICIT_VR_LE {
                return None; // the rest is a zlib stream
            }
            implicit = ts == IMPLICIT_VR_LE;
            big = ts == EXPLICIT_VR_BE;
        }
        // A sequence's items and an item's elements are walked; a pixel fragment is skipped.
        let descend = vr == Some(VR::SQ) || (item && tag.1 == 0xE000 && !fragments);
        if !descend {
            pos += len as usize;
        }
    }
    None
}
