/**
 * The L-VSSF model: linear-Gaussian latent dynamics {@code z' = Az + Bu + w}, sensors as
 * information contributions {@code (Λx, ηx)}, the information filter, the backward sampler, the
 * Monte-Carlo ELBO, training and the online filter. (Built in the "vssf-filter" issue; this package
 * holds the module's place in the build until then.)
 */
package org.vssf.filter;
