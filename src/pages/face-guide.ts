/**
 * The oval face guide of the demo page, in pixels of the camera frame. The page sends the whole
 * frame with `box` = the oval's bounding box, so the service crops around the oval with the
 * model's own crop scale. Shared by the page script and the browser tests that build fake camera
 * streams, so both agree on where the face goes.
 */
export interface FaceGuide {
  /** [x, y, width, height] of the oval's bounding box, integers inside the frame. */
  readonly box: [number, number, number, number];
  readonly cx: number;
  readonly cy: number;
  readonly rx: number;
  readonly ry: number;
}

/**
 * The serving student's crop scale: models/manifest.json `models[serving.student].preprocess.cropScale`
 * (also in GET /v1/models). The service crops a square of this times the box's larger side around
 * the box, clamped to the frame; the oval is kept small enough that the square fits unclamped, so
 * the face fills the crop as it did in training. Change it together with the manifest.
 */
export const CROP_SCALE = 1.5;

/** Oval height as a share of the frame height, and width as a share of the oval height. */
const HEIGHT_SHARE = 0.62;
const ASPECT = 0.78;
/** The oval never takes more than this share of the frame width. */
const MAX_WIDTH_SHARE = 0.8;

/** The largest box side whose crop (`cropScale` x that side, rounded as the service does) fits in `frameSide`. */
function largestSide(frameSide: number, cropScale: number): number {
  let side = Math.floor(frameSide / cropScale);
  while (side > 1 && Math.floor(side * cropScale + 0.5) > frameSide) side -= 1;
  return Math.max(1, side);
}

export function faceGuide(frameWidth: number, frameHeight: number, cropScale: number = CROP_SCALE): FaceGuide {
  // on landscape frames the height share is the bound; on portrait ones (phones held upright) the
  // crop around the oval has to fit the frame's width
  const maxSide = largestSide(Math.min(frameWidth, frameHeight), cropScale);
  let h = Math.min(Math.round(frameHeight * HEIGHT_SHARE), maxSide);
  let w = Math.round(h * ASPECT);
  if (w > frameWidth * MAX_WIDTH_SHARE) {
    w = Math.round(frameWidth * MAX_WIDTH_SHARE);
    h = Math.min(Math.round(w / ASPECT), frameHeight, maxSide);
  }
  const x = Math.floor((frameWidth - w) / 2);
  const y = Math.floor((frameHeight - h) / 2);
  return { box: [x, y, w, h], cx: x + w / 2, cy: y + h / 2, rx: w / 2, ry: h / 2 };
}
