/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment FaceFields on Face {\n    score\n    box {\n      x\n      y\n      width\n      height\n    }\n    landmarks {\n      leftEye {\n        x\n        y\n      }\n      rightEye {\n        x\n        y\n      }\n      nose {\n        x\n        y\n      }\n      mouthLeft {\n        x\n        y\n      }\n      mouthRight {\n        x\n        y\n      }\n    }\n  }\n": typeof types.FaceFieldsFragmentDoc,
    "\n  fragment StageTimingFields on StageTimings {\n    decodeMs\n    queueMs\n    detectMs\n    alignMs\n    embedMs\n    totalMs\n  }\n": typeof types.StageTimingFieldsFragmentDoc,
    "\n  fragment ImageInfoFields on ImageInfo {\n    width\n    height\n    format\n  }\n": typeof types.ImageInfoFieldsFragmentDoc,
    "\n  query ServiceInfo {\n    info {\n      version\n      backend\n      detector\n      defaultThreshold\n      workers\n      model {\n        name\n        dimensions\n        inputSize\n      }\n      limits {\n        maxUploadBytes\n        maxPixels\n      }\n    }\n    health {\n      ready\n      status\n    }\n  }\n": typeof types.ServiceInfoDocument,
    "\n  mutation Detect($image: File!) {\n    detect(image: $image) {\n      detector\n      faceCount\n      image {\n        ...ImageInfoFields\n      }\n      timings {\n        ...StageTimingFields\n      }\n      faces {\n        ...FaceFields\n      }\n    }\n  }\n": typeof types.DetectDocument,
    "\n  mutation StartLiveSession($reference: File!, $challenge: Boolean) {\n    startLiveSession(reference: $reference, challenge: $challenge) {\n      id\n      challenge\n      threshold\n      expiresAt\n      model\n      referenceFaceCount\n      referenceSelection {\n        index\n        ambiguous\n      }\n      referenceImage {\n        ...ImageInfoFields\n      }\n      referenceFace {\n        ...FaceFields\n      }\n    }\n  }\n": typeof types.StartLiveSessionDocument,
    "\n  mutation SubmitFrame($sessionId: ID!, $frame: String!) {\n    submitFrame(sessionId: $sessionId, frame: $frame) {\n      sequence\n      accepted\n      dropped\n    }\n  }\n": typeof types.SubmitFrameDocument,
    "\n  mutation StopLiveSession($sessionId: ID!) {\n    stopLiveSession(sessionId: $sessionId)\n  }\n": typeof types.StopLiveSessionDocument,
    "\n  subscription LiveVerification($sessionId: ID!) {\n    liveVerification(sessionId: $sessionId) {\n      sequence\n      image {\n        width\n        height\n      }\n      faces {\n        ...FaceFields\n      }\n      selection {\n        index\n        ambiguous\n      }\n      similarity\n      match\n      threshold\n      latencyMs\n      processed\n      dropped\n      error {\n        code\n        message\n      }\n      challenge {\n        state\n        step\n        steps\n        instruction\n        deadline\n        guidance\n        outcome {\n          result\n          reasons\n          steps\n          completedSteps\n        }\n      }\n    }\n  }\n": typeof types.LiveVerificationDocument,
    "\n  mutation Verify($reference: File!, $probe: File!, $threshold: Float, $referenceFace: FaceSelector, $probeFace: FaceSelector) {\n    verify(reference: $reference, probe: $probe, threshold: $threshold, referenceFace: $referenceFace, probeFace: $probeFace) {\n      match\n      similarity\n      distance\n      threshold\n      model\n      timings {\n        compareMs\n        totalMs\n      }\n      reference {\n        faceCount\n        image {\n          ...ImageInfoFields\n        }\n        timings {\n          ...StageTimingFields\n        }\n        face {\n          ...FaceFields\n        }\n        faces {\n          ...FaceFields\n        }\n        selection {\n          index\n          rule\n          ambiguous\n          runnerUpIndex\n        }\n      }\n      probe {\n        faceCount\n        image {\n          ...ImageInfoFields\n        }\n        timings {\n          ...StageTimingFields\n        }\n        face {\n          ...FaceFields\n        }\n        faces {\n          ...FaceFields\n        }\n        selection {\n          index\n          rule\n          ambiguous\n          runnerUpIndex\n        }\n      }\n    }\n  }\n": typeof types.VerifyDocument,
};
const documents: Documents = {
    "\n  fragment FaceFields on Face {\n    score\n    box {\n      x\n      y\n      width\n      height\n    }\n    landmarks {\n      leftEye {\n        x\n        y\n      }\n      rightEye {\n        x\n        y\n      }\n      nose {\n        x\n        y\n      }\n      mouthLeft {\n        x\n        y\n      }\n      mouthRight {\n        x\n        y\n      }\n    }\n  }\n": types.FaceFieldsFragmentDoc,
    "\n  fragment StageTimingFields on StageTimings {\n    decodeMs\n    queueMs\n    detectMs\n    alignMs\n    embedMs\n    totalMs\n  }\n": types.StageTimingFieldsFragmentDoc,
    "\n  fragment ImageInfoFields on ImageInfo {\n    width\n    height\n    format\n  }\n": types.ImageInfoFieldsFragmentDoc,
    "\n  query ServiceInfo {\n    info {\n      version\n      backend\n      detector\n      defaultThreshold\n      workers\n      model {\n        name\n        dimensions\n        inputSize\n      }\n      limits {\n        maxUploadBytes\n        maxPixels\n      }\n    }\n    health {\n      ready\n      status\n    }\n  }\n": types.ServiceInfoDocument,
    "\n  mutation Detect($image: File!) {\n    detect(image: $image) {\n      detector\n      faceCount\n      image {\n        ...ImageInfoFields\n      }\n      timings {\n        ...StageTimingFields\n      }\n      faces {\n        ...FaceFields\n      }\n    }\n  }\n": types.DetectDocument,
    "\n  mutation StartLiveSession($reference: File!, $challenge: Boolean) {\n    startLiveSession(reference: $reference, challenge: $challenge) {\n      id\n      challenge\n      threshold\n      expiresAt\n      model\n      referenceFaceCount\n      referenceSelection {\n        index\n        ambiguous\n      }\n      referenceImage {\n        ...ImageInfoFields\n      }\n      referenceFace {\n        ...FaceFields\n      }\n    }\n  }\n": types.StartLiveSessionDocument,
    "\n  mutation SubmitFrame($sessionId: ID!, $frame: String!) {\n    submitFrame(sessionId: $sessionId, frame: $frame) {\n      sequence\n      accepted\n      dropped\n    }\n  }\n": types.SubmitFrameDocument,
    "\n  mutation StopLiveSession($sessionId: ID!) {\n    stopLiveSession(sessionId: $sessionId)\n  }\n": types.StopLiveSessionDocument,
    "\n  subscription LiveVerification($sessionId: ID!) {\n    liveVerification(sessionId: $sessionId) {\n      sequence\n      image {\n        width\n        height\n      }\n      faces {\n        ...FaceFields\n      }\n      selection {\n        index\n        ambiguous\n      }\n      similarity\n      match\n      threshold\n      latencyMs\n      processed\n      dropped\n      error {\n        code\n        message\n      }\n      challenge {\n        state\n        step\n        steps\n        instruction\n        deadline\n        guidance\n        outcome {\n          result\n          reasons\n          steps\n          completedSteps\n        }\n      }\n    }\n  }\n": types.LiveVerificationDocument,
    "\n  mutation Verify($reference: File!, $probe: File!, $threshold: Float, $referenceFace: FaceSelector, $probeFace: FaceSelector) {\n    verify(reference: $reference, probe: $probe, threshold: $threshold, referenceFace: $referenceFace, probeFace: $probeFace) {\n      match\n      similarity\n      distance\n      threshold\n      model\n      timings {\n        compareMs\n        totalMs\n      }\n      reference {\n        faceCount\n        image {\n          ...ImageInfoFields\n        }\n        timings {\n          ...StageTimingFields\n        }\n        face {\n          ...FaceFields\n        }\n        faces {\n          ...FaceFields\n        }\n        selection {\n          index\n          rule\n          ambiguous\n          runnerUpIndex\n        }\n      }\n      probe {\n        faceCount\n        image {\n          ...ImageInfoFields\n        }\n        timings {\n          ...StageTimingFields\n        }\n        face {\n          ...FaceFields\n        }\n        faces {\n          ...FaceFields\n        }\n        selection {\n          index\n          rule\n          ambiguous\n          runnerUpIndex\n        }\n      }\n    }\n  }\n": types.VerifyDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment FaceFields on Face {\n    score\n    box {\n      x\n      y\n      width\n      height\n    }\n    landmarks {\n      leftEye {\n        x\n        y\n      }\n      rightEye {\n        x\n        y\n      }\n      nose {\n        x\n        y\n      }\n      mouthLeft {\n        x\n        y\n      }\n      mouthRight {\n        x\n        y\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment FaceFields on Face {\n    score\n    box {\n      x\n      y\n      width\n      height\n    }\n    landmarks {\n      leftEye {\n        x\n        y\n      }\n      rightEye {\n        x\n        y\n      }\n      nose {\n        x\n        y\n      }\n      mouthLeft {\n        x\n        y\n      }\n      mouthRight {\n        x\n        y\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment StageTimingFields on StageTimings {\n    decodeMs\n    queueMs\n    detectMs\n    alignMs\n    embedMs\n    totalMs\n  }\n"): (typeof documents)["\n  fragment StageTimingFields on StageTimings {\n    decodeMs\n    queueMs\n    detectMs\n    alignMs\n    embedMs\n    totalMs\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ImageInfoFields on ImageInfo {\n    width\n    height\n    format\n  }\n"): (typeof documents)["\n  fragment ImageInfoFields on ImageInfo {\n    width\n    height\n    format\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServiceInfo {\n    info {\n      version\n      backend\n      detector\n      defaultThreshold\n      workers\n      model {\n        name\n        dimensions\n        inputSize\n      }\n      limits {\n        maxUploadBytes\n        maxPixels\n      }\n    }\n    health {\n      ready\n      status\n    }\n  }\n"): (typeof documents)["\n  query ServiceInfo {\n    info {\n      version\n      backend\n      detector\n      defaultThreshold\n      workers\n      model {\n        name\n        dimensions\n        inputSize\n      }\n      limits {\n        maxUploadBytes\n        maxPixels\n      }\n    }\n    health {\n      ready\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Detect($image: File!) {\n    detect(image: $image) {\n      detector\n      faceCount\n      image {\n        ...ImageInfoFields\n      }\n      timings {\n        ...StageTimingFields\n      }\n      faces {\n        ...FaceFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Detect($image: File!) {\n    detect(image: $image) {\n      detector\n      faceCount\n      image {\n        ...ImageInfoFields\n      }\n      timings {\n        ...StageTimingFields\n      }\n      faces {\n        ...FaceFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartLiveSession($reference: File!, $challenge: Boolean) {\n    startLiveSession(reference: $reference, challenge: $challenge) {\n      id\n      challenge\n      threshold\n      expiresAt\n      model\n      referenceFaceCount\n      referenceSelection {\n        index\n        ambiguous\n      }\n      referenceImage {\n        ...ImageInfoFields\n      }\n      referenceFace {\n        ...FaceFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation StartLiveSession($reference: File!, $challenge: Boolean) {\n    startLiveSession(reference: $reference, challenge: $challenge) {\n      id\n      challenge\n      threshold\n      expiresAt\n      model\n      referenceFaceCount\n      referenceSelection {\n        index\n        ambiguous\n      }\n      referenceImage {\n        ...ImageInfoFields\n      }\n      referenceFace {\n        ...FaceFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SubmitFrame($sessionId: ID!, $frame: String!) {\n    submitFrame(sessionId: $sessionId, frame: $frame) {\n      sequence\n      accepted\n      dropped\n    }\n  }\n"): (typeof documents)["\n  mutation SubmitFrame($sessionId: ID!, $frame: String!) {\n    submitFrame(sessionId: $sessionId, frame: $frame) {\n      sequence\n      accepted\n      dropped\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StopLiveSession($sessionId: ID!) {\n    stopLiveSession(sessionId: $sessionId)\n  }\n"): (typeof documents)["\n  mutation StopLiveSession($sessionId: ID!) {\n    stopLiveSession(sessionId: $sessionId)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription LiveVerification($sessionId: ID!) {\n    liveVerification(sessionId: $sessionId) {\n      sequence\n      image {\n        width\n        height\n      }\n      faces {\n        ...FaceFields\n      }\n      selection {\n        index\n        ambiguous\n      }\n      similarity\n      match\n      threshold\n      latencyMs\n      processed\n      dropped\n      error {\n        code\n        message\n      }\n      challenge {\n        state\n        step\n        steps\n        instruction\n        deadline\n        guidance\n        outcome {\n          result\n          reasons\n          steps\n          completedSteps\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription LiveVerification($sessionId: ID!) {\n    liveVerification(sessionId: $sessionId) {\n      sequence\n      image {\n        width\n        height\n      }\n      faces {\n        ...FaceFields\n      }\n      selection {\n        index\n        ambiguous\n      }\n      similarity\n      match\n      threshold\n      latencyMs\n      processed\n      dropped\n      error {\n        code\n        message\n      }\n      challenge {\n        state\n        step\n        steps\n        instruction\n        deadline\n        guidance\n        outcome {\n          result\n          reasons\n          steps\n          completedSteps\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Verify($reference: File!, $probe: File!, $threshold: Float, $referenceFace: FaceSelector, $probeFace: FaceSelector) {\n    verify(reference: $reference, probe: $probe, threshold: $threshold, referenceFace: $referenceFace, probeFace: $probeFace) {\n      match\n      similarity\n      distance\n      threshold\n      model\n      timings {\n        compareMs\n        totalMs\n      }\n      reference {\n        faceCount\n        image {\n          ...ImageInfoFields\n        }\n        timings {\n          ...StageTimingFields\n        }\n        face {\n          ...FaceFields\n        }\n        faces {\n          ...FaceFields\n        }\n        selection {\n          index\n          rule\n          ambiguous\n          runnerUpIndex\n        }\n      }\n      probe {\n        faceCount\n        image {\n          ...ImageInfoFields\n        }\n        timings {\n          ...StageTimingFields\n        }\n        face {\n          ...FaceFields\n        }\n        faces {\n          ...FaceFields\n        }\n        selection {\n          index\n          rule\n          ambiguous\n          runnerUpIndex\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Verify($reference: File!, $probe: File!, $threshold: Float, $referenceFace: FaceSelector, $probeFace: FaceSelector) {\n    verify(reference: $reference, probe: $probe, threshold: $threshold, referenceFace: $referenceFace, probeFace: $probeFace) {\n      match\n      similarity\n      distance\n      threshold\n      model\n      timings {\n        compareMs\n        totalMs\n      }\n      reference {\n        faceCount\n        image {\n          ...ImageInfoFields\n        }\n        timings {\n          ...StageTimingFields\n        }\n        face {\n          ...FaceFields\n        }\n        faces {\n          ...FaceFields\n        }\n        selection {\n          index\n          rule\n          ambiguous\n          runnerUpIndex\n        }\n      }\n      probe {\n        faceCount\n        image {\n          ...ImageInfoFields\n        }\n        timings {\n          ...StageTimingFields\n        }\n        face {\n          ...FaceFields\n        }\n        faces {\n          ...FaceFields\n        }\n        selection {\n          index\n          rule\n          ambiguous\n          runnerUpIndex\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;