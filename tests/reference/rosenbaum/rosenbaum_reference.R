# Independent R (base stats only) numbers for evaluation.estimators.rosenbaum.
# rbounds, sensitivitymv and DOS/DOS2 are not packaged in Debian, so this script computes the
# Rosenbaum upper bounds from their definitions with base R, by a different route from the
# Python code (pbinom; recursive convolution with R's own loop; rank via rank()).
# Run from the repository root:
#   Rscript tests/reference/rosenbaum/rosenbaum_reference.R > tests/reference/rosenbaum/rosenbaum_reference.Rout 2>&1
here <- "tests/reference/rosenbaum"
cat(R.version.string, "\n")
options(digits = 15)
gammas <- c(1, 1.5, 2, 3, 4, 4.25, 5, 6)

# 1. Hammond (1964) smoking and lung cancer, matched pairs (Rosenbaum 2002, sec. 4.3.2):
#    122 discordant pairs, 110 in which only the smoker died of lung cancer.
mc <- data.frame(example = "hammond_mcnemar", gamma = gammas,
                 p_upper = pbinom(109, 122, gammas / (1 + gammas), lower.tail = FALSE),
                 p_lower = pbinom(109, 122, 1 / (1 + gammas), lower.tail = FALSE))

# 2. Morton et al. (1982) lead in children's blood, 33 pairs (Rosenbaum 2002 ch. 4; 2010 ch. 3).
exposed <- c(38,23,41,18,37,36,23,62,31,34,24,14,21,17,16,20,15,10,45,39,22,35,49,48,44,35,43,
             39,34,13,73,25,27)
control <- c(16,18,18,24,19,11,10,15,16,18,18,13,19,10,16,16,24,13,9,14,21,19,7,18,19,12,11,22,
             25,16,13,11,13)
d <- exposed - control
d <- d[d != 0]
q <- rank(abs(d))
t_obs <- sum(q[d > 0])
cat("lead: pairs", length(exposed), "non-zero", length(d), "T =", t_obs, "\n")
print(wilcox.test(exposed, control, paired = TRUE, exact = FALSE, correct = FALSE,
                  alternative = "greater"))
exact_tail <- function(q, t, p) {
  q2 <- as.integer(round(2 * q)); dist <- 1
  for (r in q2) dist <- c(dist, rep(0, r)) * (1 - p) + c(rep(0, r), dist) * p
  sum(dist[(round(2 * t) + 1):length(dist)])
}
normal_tail <- function(q, t, p) pnorm((t - p * sum(q)) / sqrt(p * (1 - p) * sum(q^2)),
                                       lower.tail = FALSE)
wx <- data.frame(example = "lead_wilcoxon", gamma = gammas,
                 p_upper = sapply(gammas, function(g) exact_tail(q, t_obs, g / (1 + g))),
                 p_lower = sapply(gammas, function(g) exact_tail(q, t_obs, 1 / (1 + g))))
wn <- data.frame(example = "lead_wilcoxon_normal", gamma = gammas,
                 p_upper = sapply(gammas, function(g) normal_tail(q, t_obs, g / (1 + g))),
                 p_lower = sapply(gammas, function(g) normal_tail(q, t_obs, 1 / (1 + g))))
out <- rbind(mc, wx, wn)
print(out)
write.csv(out, file.path(here, "rosenbaum_R.csv"), row.names = FALSE)
