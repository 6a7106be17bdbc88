//! Tumour slices, centres, patches and augmentation.

use livermet_image::augment::{AugmentParams, augment_patch};
use livermet_image::{
    AugmentConfig, Augmenter, ImageError, PatchManifest, PatchSpec, SliceEntry, cut_patch,
    padded_pixels, tumour_centre, tumour_slices,
};
use livermet_io::{IDENTITY, Volume};

/// A ROI with tumour on the given slices (a 3x2 block at i 4..7, j 5..7 on each).
fn roi_on(slices: &[usize], nz: usize) -> Volume {
    let mut roi = Volume::zeros([12, 10, nz], IDENTITY);
    for &k in slices {
        for j in 5..7 {
            for i in 4..7 {
                roi.set(i, j, k, 1.0);
            }
        }
    }
    roi
}

#[test]
fn middle_five_of_an_odd_count() {
    let roi = roi_on(&[2, 3, 4, 5, 6, 7, 8], 12);
    assert_eq!(tumour_slices(&roi, 5).unwrap(), vec![3, 4, 5, 6, 7]);
}

#[test]
fn middle_five_of_an_even_count_drops_one_more_at_the_top() {
    // 8 slices 1..=8: surplus 3, start (8 - 5) / 2 = 1 -> slices 2..=6.
    let roi = roi_on(&[1, 2, 3, 4, 5, 6, 7, 8], 12);
    assert_eq!(tumour_slices(&roi, 5).unwrap(), vec![2, 3, 4, 5, 6]);
    // 6 slices: start 0.
    let roi = roi_on(&[3, 4, 5, 6, 7, 8], 12);
    assert_eq!(tumour_slices(&roi, 5).unwrap(), vec![3, 4, 5, 6, 7]);
}

#[test]
fn exactly_five_and_fewer_are_kept_whole() {
    let roi = roi_on(&[4, 5, 6, 7, 8], 12);
    assert_eq!(tumour_slices(&roi, 5).unwrap(), vec![4, 5, 6, 7, 8]);
    let roi = roi_on(&[0, 11], 12);
    assert_eq!(tumour_slices(&roi, 5).unwrap(), vec![0, 11]);
}

#[test]
fn empty_roi_is_an_error() {
    let err = tumour_slices(&Volume::zeros([4, 4, 3], IDENTITY), 5).unwrap_err();
    assert!(matches!(err, ImageError::EmptyRoi));
    assert!(err.to_string().contains("ROI is empty"));
}

#[test]
fn centre_is_the_roi_centroid_on_the_slice() {
    let roi = roi_on(&[3], 5);
    assert_eq!(tumour_centre(&roi, 3), [5.0, 5.5]);
    // A slice without tumour falls back to the slice centre.
    assert_eq!(tumour_centre(&roi, 0), [5.5, 4.5]);
}

/// Channels whose value encodes (channel, i, j, k): 1000 c + 100 k + 10 j + i + 1 (never 0).
fn channels(dims: [usize; 3]) -> Volume {
    let frames: Vec<Volume> = (0..5)
        .map(|c| {
            let mut v = Volume::zeros(dims, IDENTITY);
            for k in 0..dims[2] {
                for j in 0..dims[1] {
                    for i in 0..dims[0] {
                        v.set(i, j, k, (1000 * c + 100 * k + 10 * j + i + 1) as f32);
                    }
                }
            }
            v
        })
        .collect();
    Volume::stack(&frames)
}

#[test]
fn patch_layout_is_channel_row_column_with_the_centre_at_half_size() {
    let ch = channels([9, 9, 3]);
    let spec = PatchSpec { size: 4 };
    let p = cut_patch(&ch, 1, [4.2, 3.6], &spec);
    assert_eq!(p.len(), 5 * 16);
    // Centre rounds to (4, 4) and sits at pixel (row 2, col 2); col = i, row = j.
    let at = |c: usize, r: usize, col: usize| p[c * 16 + r * 4 + col];
    assert_eq!(at(0, 2, 2), (100 + 10 * 4 + 4 + 1) as f32);
    assert_eq!(at(0, 2, 3), (100 + 10 * 4 + 5 + 1) as f32);
    assert_eq!(at(0, 3, 2), (100 + 10 * 5 + 4 + 1) as f32);
    // Channel order follows the frames (T2, T1, T1CE, DWI, ADC).
    for c in 0..5 {
        assert_eq!(at(c, 0, 0), (1000 * c + 100 + 10 * 2 + 2 + 1) as f32);
    }
}

#[test]
fn patch_is_zero_padded_where_it_leaves_the_image() {
    let ch = channels([6, 5, 2]);
    let spec = PatchSpec { size: 8 };
    let p = cut_patch(&ch, 0, [0.0, 4.0], &spec); // origin (-4, 0)
    for r in 0..8 {
        for col in 0..8 {
            let (i, j) = (col as i64 - 4, r as i64);
            let v = p[r * 8 + col];
            if !(0..6).contains(&i) || j >= 5 {
                assert_eq!(v, 0.0, "pixel ({r},{col})");
            } else {
                assert_eq!(v, (10 * j + i + 1) as f32);
            }
        }
    }
}

#[test]
fn no_augmentation_reproduces_the_plain_patch() {
    let ch = channels([20, 18, 2]);
    let spec = PatchSpec { size: 10 };
    let centre = [8.3, 9.7];
    assert_eq!(
        augment_patch(&ch, 1, centre, &spec, &AugmentParams::NONE),
        cut_patch(&ch, 1, centre, &spec)
    );
}

#[test]
fn flip_is_a_mirror_of_the_columns() {
    let ch = channels([20, 18, 2]);
    let spec = PatchSpec { size: 10 };
    let flipped = AugmentParams {
        flip: true,
        ..AugmentParams::NONE
    };
    let a = augment_patch(&ch, 0, [2.0, 9.0], &spec, &AugmentParams::NONE);
    let b = augment_patch(&ch, 0, [2.0, 9.0], &spec, &flipped);
    for c in 0..5 {
        for r in 0..10 {
            for col in 0..10 {
                assert_eq!(b[c * 100 + r * 10 + col], a[c * 100 + r * 10 + 9 - col]);
            }
        }
    }
}

#[test]
fn rotation_turns_the_patch_about_its_pivot() {
    // Size 3 (pivot on pixel 1,1): 90 degrees maps offset (u, v) to (-v, u).
    let ch = channels([9, 9, 1]);
    let spec = PatchSpec { size: 3 };
    let quarter = AugmentParams {
        rotation_deg: 90.0,
        ..AugmentParams::NONE
    };
    let p = augment_patch(&ch, 0, [4.0, 4.0], &spec, &quarter);
    let plain = cut_patch(&ch, 0, [4.0, 4.0], &spec);
    // Pixel (r=1, c=2) has offset u=(1, 0) and reads (4 + 0, 4 + 1) = plain pixel (r=2, c=1).
    assert!((p[3 + 2] - plain[2 * 3 + 1]).abs() < 1e-3);
    assert!((p[4] - plain[4]).abs() < 1e-6);
}

#[test]
fn augmentation_is_deterministic_per_seed_bounded_and_varied() {
    let cfg = AugmentConfig {
        max_shift_px: 6.0,
        flip_lr: true,
        max_rotation_deg: 10.0,
    };
    let (mut a, mut b, mut c) = (
        Augmenter::new(cfg, 7),
        Augmenter::new(cfg, 7),
        Augmenter::new(cfg, 8),
    );
    let draws: Vec<AugmentParams> = (0..500).map(|_| a.draw()).collect();
    let again: Vec<AugmentParams> = (0..500).map(|_| b.draw()).collect();
    let other: Vec<AugmentParams> = (0..500).map(|_| c.draw()).collect();
    assert_eq!(draws, again);
    assert_ne!(draws, other);
    assert!(
        draws
            .iter()
            .all(|p| p.rotation_deg.abs() <= 10.0 && p.shift.iter().all(|s| s.abs() <= 6.0))
    );
    let flips = draws.iter().filter(|p| p.flip).count();
    assert!((200..300).contains(&flips), "{flips}");
    assert!(draws.iter().any(|p| p.rotation_deg.abs() > 9.0));
    // Patches: same seed, same copies; successive copies differ.
    let ch = channels([40, 40, 2]);
    let spec = PatchSpec { size: 16 };
    let (mut a, mut b) = (Augmenter::new(cfg, 3), Augmenter::new(cfg, 3));
    let p1 = a.augmented_patch(&ch, 1, [20.0, 20.0], &spec);
    let p2 = a.augmented_patch(&ch, 1, [20.0, 20.0], &spec);
    assert_eq!(p1, b.augmented_patch(&ch, 1, [20.0, 20.0], &spec));
    assert_ne!(p1, p2);
}

#[test]
fn each_step_has_its_own_stream() {
    // Turning the flip off leaves the shifts and rotations drawn unchanged.
    let on = AugmentConfig {
        max_shift_px: 4.0,
        flip_lr: true,
        max_rotation_deg: 10.0,
    };
    let off = AugmentConfig {
        flip_lr: false,
        ..on
    };
    let (mut a, mut b) = (Augmenter::new(on, 11), Augmenter::new(off, 11));
    for _ in 0..50 {
        let (x, y) = (a.draw(), b.draw());
        assert_eq!((x.shift, x.rotation_deg), (y.shift, y.rotation_deg));
        assert!(!y.flip);
    }
}

#[test]
fn manifest_round_trips_through_json() {
    let m = PatchManifest {
        patient_id: "P001".into(),
        channels: livermet_image::CHANNELS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        patch_size: 112,
        slices: vec![SliceEntry {
            k: 7,
            centre: [120.5, 98.25],
            tumour_voxels: 311,
        }],
    };
    let text = serde_json::to_string(&m).unwrap();
    assert!(text.contains("\"channels\":[\"T2\",\"T1\",\"T1CE\",\"DWI\",\"ADC\"]"));
    assert_eq!(serde_json::from_str::<PatchManifest>(&text).unwrap(), m);
}

#[test]
fn a_pasted_patch_lands_on_the_voxels_it_was_cut_from() {
    // One-frame volume whose voxel values are their own index; centres inside and at an edge.
    let dims = [20, 14, 3];
    let n = dims[0] * dims[1] * dims[2];
    let vol = Volume::new(
        dims,
        1,
        livermet_io::IDENTITY,
        (0..n).map(|v| v as f32).collect(),
    );
    let spec = PatchSpec { size: 8 };
    for centre in [[9.4, 6.6], [1.0, 12.5]] {
        let patch = livermet_image::cut_patch(&vol, 1, centre, &spec);
        let mut grid = vec![-1.0f32; n];
        livermet_image::paste_patch(&patch, 1, centre, &spec, dims, &mut grid);
        for (v, (&g, &orig)) in grid.iter().zip(&vol.data).enumerate() {
            // Every voxel written holds its own index; the rest are untouched.
            assert!(g == -1.0 || g == orig, "voxel {v}: {g}");
        }
        let written = grid.iter().filter(|&&g| g >= 0.0).count();
        // Slice 1's voxel indices are all positive; pixels outside the image are cut as 0.
        let inside = patch.iter().filter(|&&p| p > 0.0).count();
        assert!(inside < 64 || centre[0] > 4.0);
        assert_eq!(written, inside, "centre {centre:?}");
        assert!(
            grid[..dims[0] * dims[1]].iter().all(|&g| g == -1.0),
            "slice 0 untouched"
        );
    }
}

/// The padded-pixel count is the number of zeros `cut_patch` puts in a patch of a volume with no
/// zero voxel.
#[test]
fn padded_pixels_count_the_zeros_of_a_border_patch() {
    let mut vol = Volume::zeros([12, 10, 3], IDENTITY);
    vol.data.iter_mut().for_each(|v| *v = 1.0);
    let spec = PatchSpec { size: 8 };
    for centre in [
        [5.0, 5.0],
        [0.0, 0.0],
        [11.0, 4.0],
        [6.0, 9.4],
        [-20.0, 3.0],
    ] {
        let zeros = cut_patch(&vol, 1, centre, &spec)
            .iter()
            .filter(|v| **v == 0.0)
            .count();
        assert_eq!(
            padded_pixels(vol.dims, centre, 8),
            zeros,
            "centre {centre:?}"
        );
    }
    assert_eq!(padded_pixels(vol.dims, [5.0, 5.0], 8), 0);
    assert_eq!(padded_pixels(vol.dims, [-20.0, 3.0], 8), 64);
}
